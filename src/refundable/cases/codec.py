"""A case as plain JSON-ready data and back, so every store keeps it the same way.

The SQL stores keep the whole case in one text column beside the few columns they search by
(state, customer, next deadline); instants are ISO strings with their offset (UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from refundable.cases.model import Case, CaseState, StageClock, Subject
from refundable.policy.casesdoc import StageName


def _t(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _must(text: str) -> datetime:
    return datetime.fromisoformat(text)


def clock_to_dict(c: StageClock) -> dict[str, Any]:
    return {
        "stage": c.stage.value,
        "clause": c.clause,
        "started_at": _t(c.started_at),
        "due_at": _t(c.due_at),
        "warn_at": _t(c.warn_at),
        "generation": c.generation,
        "ended_at": _t(c.ended_at),
        "warned": c.warned,
        "breached": c.breached,
    }


def _clock(d: dict[str, Any]) -> StageClock:
    return StageClock(
        StageName(d["stage"]), d["clause"], _must(d["started_at"]), _must(d["due_at"]),
        _must(d["warn_at"]), d["generation"], _at(d["ended_at"]), d["warned"], d["breached"],
    )  # fmt: skip


def case_to_dict(c: Case) -> dict[str, Any]:
    return {
        "tenant_id": c.tenant_id,
        "case_id": c.case_id,
        "customer_id": c.customer_id,
        "subject": c.subject.value,
        "subject_id": c.subject_id,
        "reason": c.reason,
        "state": c.state.value,
        "received_at": _t(c.received_at),
        "opened_by": c.opened_by,
        "policy_version": c.policy_version,
        "information": dict(c.information),
        "facts": dict(c.facts),
        "payment_id": c.payment_id,
        "missing": list(c.missing),
        "decision_id": c.decision_id,
        "original_decision_id": c.original_decision_id,
        "clocks": [clock_to_dict(x) for x in c.clocks],
        "paused_at": _t(c.paused_at),
        "settled_at": _t(c.settled_at),
        "state_before_appeal": c.state_before_appeal.value if c.state_before_appeal else None,
        "seq": c.seq,
        "updated_at": _t(c.updated_at),
    }


def case_from_dict(d: dict[str, Any]) -> Case:
    before = d["state_before_appeal"]
    return Case(
        tenant_id=d["tenant_id"],
        case_id=d["case_id"],
        customer_id=d["customer_id"],
        subject=Subject(d["subject"]),
        subject_id=d["subject_id"],
        reason=d["reason"],
        state=CaseState(d["state"]),
        received_at=_must(d["received_at"]),
        opened_by=d["opened_by"],
        policy_version=d["policy_version"],
        information=dict(d["information"]),
        facts=dict(d["facts"]),
        payment_id=d["payment_id"],
        missing=tuple(d["missing"]),
        decision_id=d["decision_id"],
        original_decision_id=d["original_decision_id"],
        clocks=tuple(_clock(x) for x in d["clocks"]),
        paused_at=_at(d["paused_at"]),
        settled_at=_at(d["settled_at"]),
        state_before_appeal=CaseState(before) if before else None,
        seq=d["seq"],
        updated_at=_at(d["updated_at"]),
    )
