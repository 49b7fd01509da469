"""What a policy version says about cases, read once into one small record.

Intake (which answers a request must carry, which the stored charge answers), the stage
clocks, which engine outcomes apply without an agent, whether an appeal is possible and in
how many steps, whether the refund waits for the customer's acceptance, and what a
chargeback does. A policy without a ``cases:`` section gets the cautious reading: nothing
is applied without an agent, no clock runs, no settlement, no chargeback sanction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from refundable.cases.clocks import ClockRules
from refundable.cases.model import CaseEvent, EventKind, Subject
from refundable.cases.transitions import appeal_stages_run
from refundable.policy.casesdoc import ChargebackAction, IntakeItem
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.labels import question


@dataclass(frozen=True, slots=True)
class Missing:
    key: str
    item: str
    clause: str


@dataclass(frozen=True, slots=True)
class CaseRules:
    policy_id: str
    policy_version: str
    clocks: ClockRules
    intake: tuple[IntakeItem, ...]
    auto_apply: frozenset[str]
    settlement: str | None  # the settlement clause, when acceptance is required
    appeal_clause: str | None
    appeal_allowed: bool
    appeal_steps: int  # how many of appealed/escalated/mediation the policy names
    chargeback: ChargebackAction
    chargeback_clause: str | None
    repeated_after: int
    pattern_of: int
    # The policy's own questions for the facts its rules declare in ``needs`` (fact, ask).
    asks: tuple[tuple[str, str], ...] = ()

    def missing(self, subject: Subject, answers: Mapping[str, str]) -> list[Missing]:
        """Every required item neither answered nor answered by the stored subject."""
        stored = subject in (Subject.charge, Subject.payment)
        return [
            Missing(i.key, i.item, i.clause)
            for i in self.intake
            if not i.optional
            and not (i.answered_by_subject and stored)
            and not answers.get(i.key, "").strip()
        ]

    def label(self, key: str) -> str:
        """Plain words for an item a case asks for (``Case.missing``): the intake item, the
        policy's own question for a fact a rule needs, else the fact's name in words ("the
        date of the charge"), never the key itself."""
        for i in self.intake:
            if i.key == key:
                return i.item
        for fact, ask in self.asks:
            if fact == key:
                return ask
        return question(key)


def appeal_refusal(rules: CaseRules, events: Sequence[CaseEvent]) -> str | None:
    """Why the case cannot be appealed now, in words citing the clause; None when it can:
    the policy makes decisions final (Conek 8.2) or names no appeal, or the case's appeals
    have been through every stage the policy names (upheld at the last, or the decision
    replaced in appeal; MyProtektor 9.1)."""
    clause = f" (clause {rules.appeal_clause})" if rules.appeal_clause else ""
    if not rules.appeal_allowed:
        if rules.appeal_clause:
            return f"decisions under {rules.policy_id} are final{clause}; there is no appeal"
        return f"{rules.policy_id} provides no appeal of a decision; there is no appeal"
    reached, ended = appeal_stages_run(events)
    if ended is None or reached < max(rules.appeal_steps, 1):
        return None
    how = "upheld" if ended.kind is EventKind.upheld else f"{ended.kind.value} in appeal"
    under = f"clause {rules.appeal_clause}" if rules.appeal_clause else "the policy"
    return (
        f"the appeal of case {ended.case_id} has been through every stage of {under}: the "
        f"decision was {how} on {ended.at.date().isoformat()}; there is no further appeal"
    )


_APPEAL_STEPS = {"internal_review": 1, "escalation": 2, "mediation": 3}


def case_rules(policy: CompiledPolicy) -> CaseRules:
    doc = policy.document
    cases = doc.cases
    appeal = doc.process.appeal
    steps = max((_APPEAL_STEPS.get(s, 0) for s in appeal.stages), default=1) if appeal else 0
    pause = cases.pause_while_awaiting_customer if cases is not None else None
    cb = cases.chargebacks if cases is not None else None
    return CaseRules(
        policy.id,
        policy.version,
        ClockRules(
            tuple(cases.stages) if cases else (),
            policy.calendar,
            pause is not None and pause.allowed,
        ),
        tuple(cases.intake) if cases else (),
        frozenset(o.value for o in cases.auto_apply.outcomes)
        if cases and cases.auto_apply
        else frozenset(),
        cases.settlement.clause
        if cases and cases.settlement and cases.settlement.required
        else None,
        appeal.clause if appeal else None,
        bool(appeal and appeal.allowed),
        steps if appeal and appeal.allowed else 0,
        cb.action if cb else ChargebackAction.none,
        cb.clause if cb else None,
        cb.repeated_after if cb else 0,
        cb.pattern_of if cb else 0,
        tuple(dict.fromkeys((n.fact, n.ask) for r in policy.rules for n in r.needs)),
    )
