"""Due work in bounded batches: an expiry over more lots than one run takes continues in
follow-up actions at the same instant, and a long clock jump runs the work each run makes due
(a renewal's next renewal) in the same advance."""

from __future__ import annotations

import pytest

from fakes import TENANT, at, lot, memory_app
from lifecycle_support import CONEK_PLANS, START, days, define_plans, open_policy_tenant
from refundable.ledger.lots import LotStatus
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import commands as c
from refundable.service import scheduled
from refundable.service.scheduled import advance_test_clock, run_due


def test_an_expiry_larger_than_a_batch_continues_at_the_same_instant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scheduled, "EXPIRY_BATCH", 2)
    app = memory_app()
    for n in range(5):
        lot(app, TENANT, f"C{n}", f"L{n}", 3, "1.00")
    report = run_due(app.bus, app.work, at(days=40))
    assert all(x.status is LotStatus.expired for n in range(5)
               for x in app.queries.lots_of(TENANT, f"C{n}"))  # fmt: skip
    subjects = sorted(a.subject for a in app.work.actions(TENANT))
    assert subjects == ["MSGCR", "MSGCR:1", "MSGCR:2"]  # 2 + 2 + 1 lots
    assert len({a.due_at for a in app.work.actions(TENANT)}) == 1
    assert report.ran == 3


def test_a_long_clock_jump_runs_every_renewal_it_passes() -> None:
    app = memory_app()
    t = open_policy_tenant(app, "conek")
    define_plans(app, t, CONEK_PLANS)
    app.bus.handle(c.CreateTestClock(t, "clk", "clk", START))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    advance_test_clock(app.bus, app.work, t, "clk", START + days(100))  # three renewals
    renewals = [a for a in app.work.actions(t) if a.kind is ActionKind.renewal]
    assert [a.state.value for a in renewals] == ["done", "done", "done", "pending"]
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.billing.period_index == 3


def test_a_failing_action_in_a_group_fails_alone() -> None:
    app = memory_app()
    broken = ScheduledAction.new(TENANT, ActionKind.expire_lots, "not-a-unit!", at(1))
    fine = [ScheduledAction.new(TENANT, ActionKind.notice, f"n{i}", at(1)) for i in range(3)]
    with app.bus.uow_factory() as uow:
        uow.repositories(TENANT).schedule.add([*fine, broken])
        uow.commit()
    report = run_due(app.bus, app.work, at(2))
    assert (report.ran, report.failed) == (3, 1)
    states = {a.subject: (a.state.value, a.attempts) for a in app.work.actions(TENANT)}
    assert states["not-a-unit!"] == ("pending", 1)  # retried later, alone
    assert all(states[f"n{i}"] == ("done", 1) for i in range(3))
    assert len(app.work.outbox(TENANT)) == 3
