"""The ``cases:`` section of a policy: the promises a policy makes about *process*.

What a request must contain, how long each stage of the review may take (in business days on
the policy's calendar, or calendar days), when the business is warned that a stage is about to
breach, whether the clock stops while the business waits on the customer, which engine
outcomes are applied without an agent, whether the refund waits for the customer's acceptance
(a settlement), and what a chargeback does to the account. The case workflow
(:mod:`refundable.cases`) reads it; every item cites its clause, and where the text leaves
the reading open the section says which reading was chosen (ADR 0052).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from refundable.core import limits


class _CasesDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StageName(StrEnum):
    """The stages a policy can put a deadline on; what starts and ends each is fixed in
    :mod:`refundable.cases.clocks` (e.g. ``decision`` runs from receipt to the decision)."""

    initial_review = "initial_review"
    investigation = "investigation"
    decision = "decision"
    payout = "payout"


class AutoOutcome(StrEnum):
    approve = "approve"
    deny = "deny"


class ChargebackAction(StrEnum):
    """What a chargeback does to the account (section 6 of the case issue)."""

    suspend_without_prior_case = "suspend_without_prior_case"  # Conek 9.2
    hold_until_resolved = "hold_until_resolved"  # Kero
    review_on_pattern = "review_on_pattern"  # MyProtektor 9.2
    none = "none"


class IntakeItem(_CasesDoc):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="The answer's name on intake")
    item: str = Field(description="What the customer must give, in plain words")
    clause: str = Field(description="Clause that requires it")
    answered_by_subject: StrictBool = Field(
        False,
        description="true if the charge or payment the case is about, as stored, answers it "
        "(invoice number, date and amount): the customer is not asked to retype it",
    )
    optional: StrictBool = Field(False, description="true if the clause says 'if applicable'")


class StageDeadline(_CasesDoc):
    stage: StageName = Field(description="Which stage the deadline is for")
    business_days: int | None = Field(
        None, ge=0, le=limits.MAX_BUSINESS_DAYS, description="Business days on the calendar"
    )
    days: int | None = Field(None, ge=0, le=limits.MAX_CALENDAR_DAYS, description="Calendar days")
    warn_before: int = Field(
        1, ge=0, le=limits.MAX_CALENDAR_DAYS, description="Warn this many days (same unit) before"
    )
    clause: str = Field(description="Clause that makes the promise")

    @model_validator(mode="after")
    def _one_unit(self) -> StageDeadline:
        if (self.business_days is None) == (self.days is None):
            raise ValueError("a stage deadline needs one unit; allowed: business_days or days")
        n = self.business_days if self.business_days is not None else self.days
        if n is not None and self.warn_before > n:
            raise ValueError(f"warn_before {self.warn_before} is longer than the stage ({n})")
        return self


class Cited(_CasesDoc):
    clause: str = Field(description="Clause this follows from")
    reading: str = Field("", description="How the clause was read where it is not explicit")


class Pause(Cited):
    allowed: StrictBool = Field(description="true if the clocks stop while awaiting the customer")


class AutoApply(Cited):
    outcomes: list[AutoOutcome] = Field(
        [], description="Engine outcomes applied at once; the rest wait for an agent"
    )


class Settlement(Cited):
    required: StrictBool = Field(
        description="true if the refund waits for the customer's acceptance"
    )


class Chargebacks(Cited):
    action: ChargebackAction = Field(description="What a chargeback does to the account")
    repeated_after: int = Field(
        0, ge=0, le=100, description="Chargebacks after which the account is suspended (0: never)"
    )
    pattern_of: int = Field(0, ge=0, le=100, description="Chargebacks that make a pattern")


class CasesDoc(_CasesDoc):
    """Process promises kept by refund cases."""

    intake: list[IntakeItem] = Field([], description="What a request must contain, by key")
    stages: list[StageDeadline] = Field([], description="Deadline per stage of the review")
    pause_while_awaiting_customer: Pause | None = Field(
        None, description="Whether the clocks stop while the business waits on the customer"
    )
    auto_apply: AutoApply | None = Field(None, description="Outcomes applied without an agent")
    settlement: Settlement | None = Field(None, description="Acceptance settles all claims")
    chargebacks: Chargebacks | None = Field(None, description="What a chargeback does")

    def citations(self) -> list[tuple[str, tuple[object, ...]]]:
        out: list[tuple[str, tuple[object, ...]]] = []
        for name in ("intake", "stages"):
            out += [
                (x.clause, ("cases", name, i, "clause")) for i, x in enumerate(getattr(self, name))
            ]
        for name in ("pause_while_awaiting_customer", "auto_apply", "settlement", "chargebacks"):
            part = getattr(self, name)
            if part is not None:
                out.append((part.clause, ("cases", name, "clause")))
        return out
