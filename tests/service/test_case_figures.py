"""The console's monthly figures (ADR 0080): months are the tenant's own (a decision at 23:30
UTC on 31 March is April's in Johannesburg), the window is the last twelve calendar months
in that zone, every decision counts in the month it was made (an override later does not
change an earlier month), and a stage deadline counts as kept or missed in its own month only
when it falls in the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from refundable.adapters.memory.cases import MemCaseQueries
from refundable.adapters.memory.tables import MemoryStore
from refundable.cases.model import Case, CaseEvent, CaseState, EventKind, StageClock, Subject
from refundable.core.time import UTC
from refundable.policy.casesdoc import StageName
from refundable.service.case_reads import figures, window_start

JHB = ZoneInfo("Africa/Johannesburg")
NOW = datetime(2026, 12, 15, 9, tzinfo=UTC)
START = datetime(2025, 12, 31, 22, tzinfo=UTC)  # 1 January 2026, 00:00 in Johannesburg


def _case(case_id: str, *clocks: StageClock) -> Case:
    return Case("t1", case_id, "C1", Subject.charge, f"ch-{case_id}", "change_of_mind",
                CaseState.paid, START, "customer:C1", "v1", clocks=clocks)  # fmt: skip


def _clock(due: datetime, ended: datetime | None, breached: bool = False) -> StageClock:
    return StageClock(StageName.decision, "7.1", due - timedelta(days=10), due,
                      due - timedelta(days=2), ended_at=ended, breached=breached)  # fmt: skip


def _event(case_id: str, seq: int, kind: EventKind, at: datetime, outcome: str = "approve",
           remedy: str = "refund") -> CaseEvent:  # fmt: skip
    return CaseEvent("t1", case_id, seq, kind, CaseState.in_review, CaseState.paid, "agent:a", at,
                     {"outcome": outcome, "remedy": remedy})  # fmt: skip


def _store(cases: list[Case], events: list[CaseEvent]) -> MemCaseQueries:
    store = MemoryStore()
    for x in cases:
        store.tables.cases[(x.tenant_id, x.case_id)] = x
    for e in events:
        store.tables.case_events[(e.tenant_id, e.case_id, e.seq)] = e
    return MemCaseQueries(store)


def test_the_window_is_twelve_local_months_ending_with_this_one() -> None:
    assert window_start(NOW, JHB) == START
    assert window_start(datetime(2026, 1, 10, tzinfo=UTC), JHB, 12) == datetime(
        2025, 2, 1, tzinfo=JHB)  # fmt: skip
    assert window_start(datetime(2026, 3, 31, 23, tzinfo=UTC), JHB, 1) == datetime(
        2026, 4, 1, tzinfo=JHB)  # already April in Johannesburg  # fmt: skip


def test_decisions_count_in_their_local_month_inside_the_window() -> None:
    march_end = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 01:30 on 1 April in Johannesburg
    events = [
        _event("a", 1, EventKind.decided, datetime(2026, 2, 3, 8, tzinfo=UTC), "deny"),
        _event("a", 2, EventKind.overridden, march_end, "approve", "account_credit"),
        _event("b", 1, EventKind.judged, START - timedelta(minutes=1)),  # 31 Dec: outside
        _event("c", 1, EventKind.decided, START),  # the window's first instant: inside
        _event("c", 2, EventKind.paid, START + timedelta(days=3)),  # not a decision
    ]
    f = figures(_store([], events), "t1", NOW, JHB)
    assert f.since == START
    assert f.months == ["2026-01", "2026-02", "2026-04"]
    # February's denial stays February's after April's override
    assert f.outcomes == {"2026-01": {"approve": 1}, "2026-02": {"deny": 1},
                          "2026-04": {"approve": 1}}  # fmt: skip
    assert f.remedies == {"2026-01": {"refund": 1}, "2026-02": {"refund": 1},
                          "2026-04": {"account_credit": 1}}  # fmt: skip


def test_deadlines_count_in_their_local_month_only_inside_the_window() -> None:
    due_april = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April locally
    cases = [
        _case("kept", _clock(due_april, due_april - timedelta(hours=1))),
        _case("late", _clock(datetime(2026, 5, 5, 15, tzinfo=UTC), None, breached=True)),
        _case(
            "ended-late",
            _clock(datetime(2026, 5, 6, 15, tzinfo=UTC), datetime(2026, 5, 8, 9, tzinfo=UTC)),
        ),
        _case("running", _clock(datetime(2026, 12, 20, 15, tzinfo=UTC), None)),
        _case("old", _clock(START - timedelta(hours=1), START - timedelta(days=2))),
        _case(
            "mixed",
            _clock(START - timedelta(days=5), None, breached=True),
            _clock(datetime(2026, 2, 2, 15, tzinfo=UTC), START),
        ),
    ]
    f = figures(_store(cases, []), "t1", NOW, JHB)
    assert f.months == ["2026-02", "2026-04", "2026-05"]
    assert dict(f.kept) == {"2026-04": 1, "2026-02": 1}
    assert dict(f.missed) == {"2026-05": 2}  # the breach before the window is not counted
