"""Which event may move a case from which state to which: one table, and ``apply``.

A plain table rather than a state-machine library (ADR 0052): the workflow is fixed, the
table reads as the documentation, mypy checks it, and each change is a pure function of
(case, event, who, when) that returns the next case and the event to append. The policy's
say (appeals allowed, settlement) is checked by the caller before it asks for a transition;
an event not allowed in the case's state is a :class:`Conflict` naming what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from refundable.cases.clocks import ClockRules, clocks_after
from refundable.cases.model import APPEAL_STATES, Case, CaseEvent, CaseState, EventKind
from refundable.core.errors import Conflict, InvariantBroken

S = CaseState
_WITHDRAWABLE = (S.received, S.awaiting_information, S.in_review, S.awaiting_acceptance)
_OVERRIDABLE = (S.in_review, S.awaiting_acceptance, S.denied, *APPEAL_STATES)

# event -> {from state: to state}; None as target means "back where the appeal started"
TABLE: Mapping[EventKind, Mapping[CaseState, CaseState | None]] = {
    EventKind.information_requested: {S.received: S.awaiting_information},
    EventKind.information_provided: {S.awaiting_information: S.received},
    EventKind.review_started: {S.received: S.in_review},
    EventKind.decided: {S.received: S.decided, S.in_review: S.decided},
    EventKind.judged: {S.in_review: S.decided},
    EventKind.overridden: {s: S.decided for s in _OVERRIDABLE},
    EventKind.acceptance_requested: {S.decided: S.awaiting_acceptance},
    EventKind.accepted: {S.awaiting_acceptance: S.decided},
    # an override after money moved stays where the money is (or returns there from an
    # appeal); a further payout then runs from paid
    EventKind.adjusted: {S.paid: S.paid, S.credited: S.credited, **dict.fromkeys(APPEAL_STATES)},
    EventKind.payout_requested: {S.decided: S.paying, S.paid: S.paying},
    EventKind.paid: {S.paying: S.paid},
    EventKind.credited: {S.decided: S.credited},
    EventKind.denied: {S.decided: S.denied},
    EventKind.withdrawn: {s: S.withdrawn for s in _WITHDRAWABLE},
    EventKind.appealed: {S.denied: S.appealed, S.paid: S.appealed, S.credited: S.appealed},
    EventKind.escalated: {S.appealed: S.escalated},
    EventKind.mediation: {S.escalated: S.mediation},
    EventKind.upheld: {s: None for s in APPEAL_STATES},
}
# Events that record something without moving the case.
IN_PLACE = frozenset(
    {
        EventKind.opened,
        EventKind.sla_warning,
        EventKind.sla_breached,
        EventKind.money,
        EventKind.notice,
        EventKind.chargeback,
        EventKind.dispute_resolved,
        EventKind.payout_failed,
    }
)


_STAGE_OF = {CaseState.appealed: 1, CaseState.escalated: 2, CaseState.mediation: 3}


def appeal_stages_run(events: Sequence[CaseEvent]) -> tuple[int, CaseEvent | None]:
    """How far the case's appeals went: the last stage at which the decision was upheld (1
    internal review, 2 escalation, 3 mediation; 0 when none was) and that event; or, when the
    decision was replaced while in appeal (overridden, or adjusted after money moved), 3 and
    that event: the appeal was answered. A new appeal resumes at the stage after the one
    upheld (MyProtektor 9.1: escalation takes up what the internal review left unresolved,
    mediation what the internal processes did; ADR 0085)."""
    reached, last = 0, None
    for event in events:
        if event.kind is EventKind.upheld:
            reached, last = max(reached, _STAGE_OF.get(event.from_state, 1)), event
        elif event.kind in (EventKind.overridden, EventKind.adjusted) and (
            event.from_state in APPEAL_STATES
        ):
            reached, last = 3, event
    return reached, last


def allowed_events(state: CaseState) -> list[str]:
    return sorted(kind.value for kind, moves in TABLE.items() if state in moves)


def target(case: Case, kind: EventKind) -> CaseState:
    if kind in IN_PLACE:
        return case.state
    moves = TABLE[kind]
    if case.state not in moves:
        raise Conflict(
            f"case {case.case_id} is {case.state.value}: it cannot be {kind.value} now",
            where="case_id",
            allowed=", ".join(allowed_events(case.state)) or "nothing: the case is closed",
        )
    to = moves[case.state]
    if to is None:
        if case.state_before_appeal is None:
            raise InvariantBroken(f"case {case.case_id} is in appeal with no prior state")
        return case.state_before_appeal
    return to


def apply(
    case: Case,
    kind: EventKind,
    actor: str,
    at: datetime,
    rules: ClockRules,
    data: Mapping[str, str] | None = None,
) -> tuple[Case, CaseEvent]:
    """The case after ``kind`` happened at ``at`` (by ``actor``), and the event recording it.
    Stage clocks start, stop, pause and resume with the state (see ``cases.clocks``)."""
    to = target(case, kind)
    changes: dict[str, Any] = {"state": to, "seq": case.seq + 1, "updated_at": at}
    if kind is EventKind.appealed:
        changes["state_before_appeal"] = case.state
    elif kind in (EventKind.upheld, EventKind.adjusted):
        changes["state_before_appeal"] = None
    if to is not case.state:  # one copy of the case, clocks included (``on_state_change``)
        changes["clocks"], changes["paused_at"] = clocks_after(case, to, case.state, at, rules)
    after = case.evolve(**changes)
    event = CaseEvent(
        case.tenant_id, case.case_id, after.seq, kind, case.state, to, actor, at, dict(data or {})
    )
    return after, event
