"""The policy language: what a policy document (YAML) may say.

These models are the language's one definition: the loader validates documents with them, and
``refundable policy schema`` publishes them as JSON Schema so editors complete and check policy
files. A document is data a business can review; :mod:`refundable.policy.compile` turns it into
closures once, so deciding never re-reads it.

Conditions are written as mappings (every key must hold) and stay deliberately small: fact
comparisons, time windows, durations, and ``all``/``any``/``not``. Their full grammar is in
``docs/policy-language.md``; it is checked by :mod:`refundable.policy.conditions` with a
file:line for every problem, because a free-form mapping cannot be typed here.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from refundable.core import limits
from refundable.core.money import MINOR_UNITS
from refundable.policy.facts import Amount, CurrencyCode


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Condition = dict[str, Any]
"""A condition mapping; grammar checked by refundable.policy.conditions."""


class Outcome(StrEnum):
    approve = "approve"
    deny = "deny"
    review = "review"


class Remedy(StrEnum):
    refund = "refund"
    account_credit = "account_credit"
    message_credits = "message_credits"
    wallet_credit = "wallet_credit"
    service_extension = "service_extension"
    none = "none"


class DayCount(StrEnum):
    """How pro-rata time is measured over a charge's own period."""

    actual_seconds = "actual_seconds"  # elapsed seconds / seconds in the period
    actual_days = "actual_days"  # whole local calendar days / days in the period


def _clock_text(value: Any) -> Any:
    """A time of day is written "HH:MM" (YAML 1.2 reads 09:00 as text, ADR 0023); a number
    would be taken as seconds since midnight in UTC, and a time with an offset cannot be
    compared with the policy's local hours."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
        shown = limits.echo(value if isinstance(value, str) else str(value))
        raise ValueError(f'{shown} is not a time of day; allowed: "HH:MM" such as "09:00"')
    return value


Clock = Annotated[time, BeforeValidator(_clock_text)]


class BusinessHoursDoc(_Doc):
    opens: Clock
    closes: Clock


class HolidayDoc(_Doc):
    date: date
    name: str


class CalendarDoc(_Doc):
    country: str | None = Field(None, description="ISO-3166 code whose public holidays apply")
    subdivision: str | None = None
    business_hours: BusinessHoursDoc
    extra_holidays: list[HolidayDoc] = []


class Settings(_Doc):
    rounding: Literal["half_up", "half_even", "half_down", "down", "up", "floor", "ceiling"] = (
        "half_up"
    )
    day_count: DayCount = DayCount.actual_seconds
    refund_currency: CurrencyCode | None = Field(
        None, description="Currency every amount is paid in; others are converted via fx"
    )


class Param(_Doc):
    param: str


Number = int | Decimal | Param

# The largest length of time a window or promise may name, per unit (a limit on everything).
SPAN_BOUNDS: dict[str, int] = {
    "days": limits.MAX_CALENDAR_DAYS,
    "hours": limits.MAX_HOURS,
    "business_days": limits.MAX_BUSINESS_DAYS,
}


class Parameter(_Doc):
    value: int | Decimal
    clause: str
    reading: str = Field(description="Why this value: the text does not state it")

    @field_validator("value")
    @classmethod
    def _bounded(cls, value: int | Decimal) -> int | Decimal:
        # Parameters stand for percentages and lengths of time: never negative, never past
        # the largest length a policy may name; where one is used its own bound applies too.
        if not 0 <= value <= limits.MAX_HOURS:
            raise ValueError(
                f"a parameter is a percentage or a length of time, not {limits.echo(value)}; "
                f"allowed: 0 to {limits.MAX_HOURS:,}"
            )
        return value


class Span(_Doc):
    """A length of time: exactly one of days, hours, business_days."""

    days: Number | None = None
    hours: Number | None = None
    business_days: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> Span:
        given = [k for k in ("days", "hours", "business_days") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a length of time needs one unit; allowed: one of days, hours, business_days"
            )
        unit = given[0]
        value, bound = getattr(self, unit), SPAN_BOUNDS[unit]
        if isinstance(value, Param):
            return self  # checked where the parameter is known (checks.py)
        if not 0 <= value <= bound or (unit != "hours" and value != int(value)):
            raise ValueError(
                f"{unit} {limits.echo(value)} is out of bounds; "
                f"allowed: a whole number from 0 to {bound:,}"
            )
        return self


class Promise(Span):
    clause: str


class RequestWindow(Span):
    of: str = Field(description="The instant the window runs from, e.g. charge.charged_at")
    clause: str
    covers: list[str] = Field(description="Ids of the rules this window applies to")


class RequiredItem(_Doc):
    item: str
    clause: str


class Appeal(_Doc):
    allowed: StrictBool
    clause: str
    stages: list[str] = []


class Process(_Doc):
    request_window: RequestWindow | None = None
    required_information: list[RequiredItem] = []
    review: Promise | None = None
    payout: Promise | None = None
    payout_by_method: dict[str, Promise] = {}
    appeal: Appeal | None = None


class Minimum(_Doc):
    amount: Amount
    currency: CurrencyCode

    @model_validator(mode="after")
    def _bounded(self) -> Minimum:
        if not 0 <= self.amount < limits.MAX_AMOUNT:
            raise ValueError(
                f"amount {limits.echo(str(self.amount))[1:-1]} is out of bounds (a fee or amount "
                f"is never negative); allowed: 0 up to {limits.MAX_AMOUNT:,}"
            )
        digits = MINOR_UNITS.get(self.currency, 2)
        if self.amount != self.amount.quantize(Decimal(1).scaleb(-digits)):
            raise ValueError(
                f"amount {self.amount} has more than {digits} decimals; allowed: {digits} decimals"
            )
        return self


class Fee(_Doc):
    clause: str
    description: str
    percent: Number | None = None
    fixed: Minimum | None = None
    minimum: Minimum | None = None
    no_refund_if_exceeds: StrictBool = Field(
        True, description="No refund at all when fees would take the whole amount"
    )

    @model_validator(mode="after")
    def _some(self) -> Fee:
        if self.percent is None and self.fixed is None:
            raise ValueError("a fee needs an amount; allowed: percent, fixed, or both")
        return self


class HigherOf(_Doc):
    higher_of: list[str] = Field(min_length=2)

    @field_validator("higher_of")
    @classmethod
    def _distinct(cls, fees: list[str]) -> list[str]:
        twice = sorted({f for f in fees if fees.count(f) > 1})
        if twice:
            raise ValueError(
                f"higher_of names fee {', '.join(twice)} twice; allowed: two different fee ids"
            )
        return fees


FeeRef = str | HigherOf


class Formula(StrEnum):
    none = "none"
    full = "full"
    difference = "difference"
    pro_rata_unused = "pro_rata_unused"
    pro_rata_elapsed = "pro_rata_elapsed"
    pro_rata_plan_difference = "pro_rata_plan_difference"
    percent_kept = "percent_kept"
    unused_share = "unused_share"
    wallet_excess = "wallet_excess"
    failed_value = "failed_value"
    fixed = "fixed"


class AmountDoc(_Doc):
    formula: Formula
    as_of: str = "requested_at"
    start: str | None = Field(None, alias="from")
    end: str | None = Field(None, alias="to")
    percent: Number | None = None
    fixed: Minimum | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class UnitsDoc(_Doc):
    fact: str


class Then(_Doc):
    outcome: Outcome
    remedy: Remedy = Remedy.none
    amount: AmountDoc | None = None
    units: UnitsDoc | None = None
    fees: list[FeeRef] = []
    factors: list[str] = Field([], description="What the business weighs (review outcomes)")
    alternatives: list[Remedy] = []
    notes: list[str] = []
    payout: Promise | None = None
    explanation: str | None = Field(None, description="Extra sentence for the customer")


class Requirement(_Doc):
    condition: Condition
    clause: str | None = None
    explain: str | None = Field(None, description="What the customer is told when it fails")


class Need(_Doc):
    """A fact a rule cannot decide without: when the request lacks it, the rule asks for it
    (a review naming the fact) instead of treating it as false."""

    fact: str = Field(description="A fact path (e.g. charge.initial_purchase), or fx")
    ask: str = Field(description="What the customer is asked for, in plain words")


class Rule(_Doc):
    id: str
    clause: str
    also_cites: list[str] = []
    description: str
    when: Condition
    requires: list[Requirement] = []
    needs: list[Need] = Field(
        [], description="Facts the rule asks for when missing (review: information needed)"
    )
    then: Then
    reading: str | None = None


class ClauseDoc(_Doc):
    id: str
    title: str
    informational: str | None = Field(
        None, description="Why this clause needs no rule (contact details, lifecycle, ...)"
    )
    implemented_by: list[str] = Field(
        [], description="Other mechanisms enforcing it (e.g. ledger transfer rules)"
    )


class Reading(_Doc):
    clause: str
    issue: str
    chosen: str


class TransferKind(StrEnum):
    reseller_to_client = "reseller_to_client"
    between_affiliates = "between_affiliates"
    approved_nonprofit_on_termination = "approved_nonprofit_on_termination"


class Wallet(_Doc):
    transfers_allowed: list[TransferKind] = []
    clause: str


class Credits(_Doc):
    valid_days: int | None = Field(None, ge=1, le=limits.MAX_CALENDAR_DAYS)
    clause: str
    reinstate_on_failure: list[str] = []


class Default(_Doc):
    clause: str
    outcome: Outcome = Outcome.deny
    remedy: Remedy = Remedy.none
    explanation: str


# --- lifecycle (h10-billing): subscriptions run by the policy (issue 9, ADR 0038/0039) ---------
_LifecycleDays = Annotated[int, Field(ge=0, le=limits.MAX_LIFECYCLE_DAYS)]


class LifecycleItem(_Doc):
    clause: str = Field(description="The clause of the source this lifecycle rule runs")
    also_cites: list[str] = Field([], description="Other clauses the same rule runs")


class UpgradeDoc(LifecycleItem):
    prorate_difference: StrictBool = Field(
        True, description="Charge the price difference pro rata for the rest of the cycle"
    )


class DowngradeModeDoc(StrEnum):
    end_of_cycle_no_refund = "end_of_cycle_no_refund"
    pro_rata_credit_next_cycle = "pro_rata_credit_next_cycle"


class DowngradeDoc(LifecycleItem):
    mode: DowngradeModeDoc = Field(description="End of cycle without refund, or credit now")
    credits_transfer: StrictBool = Field(False, description="Plan credits survive the change")


class CancellationDoc(LifecycleItem):
    annual_notice_days: _LifecycleDays | None = Field(
        None, description="Written notice before an annual renewal; later notice defers a cycle"
    )
    notice_clause: str | None = None
    early_termination_charge: Decimal | None = Field(
        None, ge=0, lt=limits.MAX_AMOUNT, description="Named charge for immediate cancellation"
    )
    immediate_clause: str | None = None
    cooling_off_days: _LifecycleDays | None = None
    cooling_off_clause: str | None = None


class TrialDoc(LifecycleItem):
    credits_clause: str = Field(description="Clause saying trial credits do not roll over")
    card_required: StrictBool = False
    charge_at_end: StrictBool = False
    credits_roll_into_paid: StrictBool = False


class SuspensionDoc(LifecycleItem):
    grace_days: _LifecycleDays = Field(description="Access kept after the first failed payment")
    dunning_notice_days: list[_LifecycleDays] = Field(
        [0], max_length=limits.MAX_DUNNING_STEPS, description="Days after the failure to notify"
    )
    exempt_features: list[str] = Field([], description="Never gated by billing status")
    exempt_clause: str | None = None


class TerminationDoc(LifecycleItem):
    credits_forfeited: StrictBool = True
    access_ends_now: StrictBool = True


class ReactivationModeDoc(StrEnum):
    new_subscription = "new_subscription"
    within_retention = "within_retention"


class ReactivationDoc(LifecycleItem):
    mode: ReactivationModeDoc
    credits_carried_over: StrictBool = False


class RetentionDoc(_Doc):
    days: _LifecycleDays = Field(description="Days personal data is kept after the trigger")
    clause: str


class RetentionsDoc(_Doc):
    after_suspension: RetentionDoc
    after_cancellation: RetentionDoc
    after_termination: RetentionDoc


class LifecycleDoc(_Doc):
    """The subscription lifecycle the policy runs (refundable.billing); every item cites."""

    billing: LifecycleItem = Field(description="Plan price charged per cycle in advance")
    upgrade: UpgradeDoc
    downgrade: DowngradeDoc
    cancellation: CancellationDoc
    trial: TrialDoc
    suspension: SuspensionDoc
    termination: TerminationDoc
    reactivation: ReactivationDoc
    retention: RetentionsDoc

    def citations(self) -> list[tuple[str, tuple[object, ...]]]:
        """Every clause the section cites, with its place in the document (for file:line)."""
        out: list[tuple[str, tuple[object, ...]]] = []
        for name in (
            "billing",
            "upgrade",
            "downgrade",
            "cancellation",
            "trial",
            "suspension",
            "termination",
            "reactivation",
        ):
            item: LifecycleItem = getattr(self, name)
            out.append((item.clause, ("lifecycle", name, "clause")))
            out += [
                (c, ("lifecycle", name, "also_cites", i)) for i, c in enumerate(item.also_cites)
            ]
            for extra in (
                "credits_clause",
                "notice_clause",
                "immediate_clause",
                "cooling_off_clause",
                "exempt_clause",
            ):
                value = getattr(item, extra, None)
                if value is not None:
                    out.append((value, ("lifecycle", name, extra)))
        for name in ("after_suspension", "after_cancellation", "after_termination"):
            out.append(
                (getattr(self.retention, name).clause, ("lifecycle", "retention", name, "clause"))
            )
        return out


# --- end lifecycle (h10-billing) --------------------------------------------------------------


class PolicyDocument(_Doc):
    """One version of one business's policy."""

    policy: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    version: str
    effective_from: date
    source: str
    timezone: str
    currency: CurrencyCode
    calendar: CalendarDoc
    settings: Settings = Settings()
    parameters: dict[str, Parameter] = {}
    process: Process = Process()
    fees: dict[str, Fee] = {}
    wallet: Wallet | None = None
    credits: Credits | None = None
    lifecycle: LifecycleDoc | None = None  # h10-billing: subscriptions (refundable.billing)
    clauses: list[ClauseDoc]
    readings: list[Reading] = []
    rules: list[Rule]
    default: Default
