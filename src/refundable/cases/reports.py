"""Reports over cases and their events: plain rows for the CLI, the API and the console.

* the audit trail: every state change, decision, judgement, override, notice, alarm and
  money movement with who and when (per case, or per customer across cases);
* open cases by next deadline (the queue an agent works from; the one about to breach first);
* deadlines kept versus missed, per stage and month of the deadline (local time);
* refunds by outcome and remedy (the last decision of each decided case), summed per currency.

Pure: the rows come from the read side (``service.case_queries``) and go out as data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from refundable.cases.model import FINAL_STATES, Case, CaseEvent, EventKind


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    case_id: str
    seq: int
    kind: str
    actor: str
    from_state: str
    to_state: str
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "case_id": self.case_id, "seq": self.seq,
                "kind": self.kind, "actor": self.actor, "from": self.from_state,
                "to": self.to_state, "detail": self.detail}  # fmt: skip


def audit(events: Iterable[CaseEvent]) -> list[AuditRow]:
    rows = [
        AuditRow(e.at, e.case_id, e.seq, e.kind.value, e.actor, e.from_state.value,
                 e.to_state.value, ", ".join(f"{k}={v}" for k, v in sorted(e.data.items())))
        for e in events
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r.at, r.case_id, r.seq))


@dataclass(frozen=True, slots=True)
class QueueRow:
    case_id: str
    customer_id: str
    state: str
    stage: str | None
    due_at: datetime | None
    warned: bool
    breached: bool

    def to_dict(self) -> dict[str, object]:
        return {"case_id": self.case_id, "customer_id": self.customer_id, "state": self.state,
                "stage": self.stage, "due_at": self.due_at.isoformat() if self.due_at else None,
                "warned": self.warned, "breached": self.breached}  # fmt: skip


def open_by_deadline(cases: Iterable[Case]) -> list[QueueRow]:
    """Open cases, the nearest running deadline first; cases with no deadline last."""
    rows = []
    for case in cases:
        if not case.is_open:
            continue
        running = sorted((c for c in case.clocks if c.running), key=lambda c: c.due_at)
        first = running[0] if running else None
        rows.append(QueueRow(
            case.case_id, case.customer_id, case.state.value,
            first.stage.value if first else None, first.due_at if first else None,
            bool(first and first.warned), any(c.breached for c in running),
        ))  # fmt: skip
    far = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    return sorted(rows, key=lambda r: (r.due_at or far, r.case_id))


def deadlines_kept(cases: Iterable[Case]) -> dict[tuple[str, str], dict[str, int]]:
    """(stage, YYYY-MM of the deadline, read at the deadline's own local offset) ->
    {"kept": n, "missed": n, "running": n}."""
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for case in cases:
        for c in case.clocks:
            month = c.due_at.strftime("%Y-%m")
            verdict = {True: "kept", False: "missed", None: "running"}[c.kept]
            out[(c.stage.value, month)][verdict] += 1
    return {k: {x: v[x] for x in ("kept", "missed", "running")} for k, v in sorted(out.items())}


_DECIDING = (EventKind.decided, EventKind.judged, EventKind.overridden)


def refunds_by_outcome(
    cases: Iterable[Case], events: Iterable[CaseEvent]
) -> dict[tuple[str, str, str], dict[str, str]]:
    """(outcome, remedy, currency) -> {"cases": n, "net": total} over decided cases (their
    last decision), so a case judged or overridden counts once, as it ended."""
    last: dict[str, CaseEvent] = {}
    for e in sorted(events, key=lambda e: (e.case_id, e.seq)):
        if e.kind in _DECIDING:
            last[e.case_id] = e
    decided = {c.case_id for c in cases if c.state in FINAL_STATES or c.state.value == "paying"}
    totals: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    for case_id, e in last.items():
        if case_id not in decided:
            continue
        currency, _, amount = e.data.get("net", "").partition(" ")
        totals[(e.data["outcome"], e.data["remedy"], currency)].append(Decimal(amount or "0"))
    return {k: {"cases": str(len(v)), "net": str(sum(v, Decimal(0)))}
            for k, v in sorted(totals.items())}  # fmt: skip
