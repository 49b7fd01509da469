"""Due work on the in-memory store: lots schedule their own expiry, the runner runs each due
action once at its due instant, failures back off, and a test clock walks a year."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fakes import TENANT, at, lot, memory_app
from refundable.core.errors import InputError, NotFound
from refundable.ledger import accounts as chart
from refundable.ledger.lots import LotStatus
from refundable.scheduling.model import MAX_ATTEMPTS, ActionKind, ActionState, ScheduledAction
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock, run_due


def test_buying_a_lot_schedules_its_expiry_once_per_instant() -> None:
    app = memory_app()
    lot(app, TENANT, "C1", "L1", 10, "1.00")
    lot(app, TENANT, "C2", "L2", 5, "1.00")  # same day: same expiry instant, one action
    lot(app, TENANT, "C1", "L3", 5, "1.00", bought=3)
    actions = app.work.actions(TENANT)
    assert [a.kind for a in actions] == [ActionKind.expire_lots] * 2
    [first, second] = actions
    assert first.due_at == app.queries.lots_of(TENANT, "C1")[0].valid_until
    assert second.due_at - first.due_at == timedelta(days=3)


def test_the_runner_expires_lots_at_their_instant_and_never_twice() -> None:
    app = memory_app()
    lot(app, TENANT, "C1", "L1", 10, "1.00")
    lot(app, TENANT, "C1", "L2", 4, "1.00", bought=10)
    early = run_due(app.bus, app.work, at(days=30))  # L1 is valid to the end of day 30
    assert (early.ran, early.failed) == (0, 0)
    first = run_due(app.bus, app.work, at(days=32))
    assert first.ran == 1
    lots = {x.lot_id: x for x in app.queries.lots_of(TENANT, "C1")}
    assert (lots["L1"].status, lots["L2"].status) == (LotStatus.expired, LotStatus.open)
    assert app.queries.balance(TENANT, chart.credit_lots("C1")) == 4
    again = run_due(app.bus, app.work, at(days=32))
    assert again.ran == 0  # done actions are not listed again
    [done, pending] = app.work.actions(TENANT)
    assert (done.state, done.attempts, pending.state) == (ActionState.done, 1, ActionState.pending)
    # running a done action directly is a no-op: the row's state is the idempotency record
    replay = app.bus.handle(c.RunDueAction(TENANT, done.action_id, at(days=40)))
    assert replay.details["outcome"] == "skipped" and replay.entry_ids == ()


def _schedule(app: object, action: ScheduledAction) -> None:
    with app.bus.uow_factory() as uow:  # type: ignore[attr-defined]
        uow.repositories(TENANT).schedule.add([action])
        uow.commit()


def test_a_failing_action_backs_off_then_gives_up() -> None:
    app = memory_app()
    broken = ScheduledAction.new(TENANT, ActionKind.expire_lots, "not-a-unit!", at(1))
    _schedule(app, broken)
    now = at(2)
    first = run_due(app.bus, app.work, now)
    assert (first.ran, first.failed) == (0, 1)
    [after] = app.work.actions(TENANT)
    assert after.state is ActionState.pending and after.attempts == 1
    assert after.due_at == now + timedelta(minutes=1) and "not-a-unit" in (after.last_error or "")
    for _ in range(MAX_ATTEMPTS):
        now += timedelta(days=1)
        run_due(app.bus, app.work, now)
    [final] = app.work.actions(TENANT)
    assert (final.state, final.attempts) == (ActionState.failed, MAX_ATTEMPTS)


def test_a_notice_lands_in_the_outbox_once() -> None:
    app = memory_app()
    notice = ScheduledAction.new(
        TENANT, ActionKind.notice, "renewal_reminder", at(5), {"customer_id": "C1"}
    )
    _schedule(app, notice)
    _schedule(app, notice)  # scheduling the same work twice names one row
    assert len(app.work.actions(TENANT)) == 1
    assert run_due(app.bus, app.work, at(6)).ran == 1
    assert run_due(app.bus, app.work, at(7)).ran == 0
    [message] = app.work.outbox(TENANT)
    assert (message.kind, dict(message.payload)) == ("renewal_reminder", {"customer_id": "C1"})


def test_a_test_clock_walks_a_year_and_holds_real_time_work_back() -> None:
    app = memory_app()
    app.bus.handle(c.CreateTestClock(TENANT, "clock", "clk1", at()))
    for month in range(12):
        lot(app, TENANT, "C1", f"L{month}", 10, "1.00", bought=30 * month)
    # the real-time runner leaves a tenant on a test clock alone
    assert run_due(app.bus, app.work, at(days=400)).ran == 0
    ran = 0
    for month in range(1, 13):
        ran += advance_test_clock(app.bus, app.work, TENANT, "clk1", at(days=30 * month + 2)).ran
        expired = [x for x in app.queries.lots_of(TENANT, "C1") if x.status is LotStatus.expired]
        assert len(expired) == month  # each lot lapses in the month after it was bought
        assert all(x.valid_until <= at(days=30 * month + 2) for x in expired)
    assert ran == 12
    assert app.work.test_clock(TENANT).frozen_at == at(days=362)  # type: ignore[union-attr]
    assert app.queries.balance(TENANT, chart.credit_lots("C1")) == 0


def test_a_test_clock_only_moves_forward_by_a_bounded_step() -> None:
    app = memory_app()
    app.bus.handle(c.CreateTestClock(TENANT, "clock", "clk1", at(days=10)))
    with pytest.raises(InputError, match="only moves forward"):
        advance_test_clock(app.bus, app.work, TENANT, "clk1", at(days=9))
    with pytest.raises(InputError, match="at most 731 days"):
        advance_test_clock(app.bus, app.work, TENANT, "clk1", at(days=10 + 732))
    with pytest.raises(NotFound):
        advance_test_clock(app.bus, app.work, TENANT, "other", at(days=11))
    assert app.work.test_clock(TENANT).frozen_at == at(days=10)  # type: ignore[union-attr]


def test_moving_a_test_clock_to_where_it_stands_is_a_harmless_repeat() -> None:
    app = memory_app()
    app.bus.handle(c.CreateTestClock(TENANT, "clock", "clk1", at(days=10)))
    for _ in range(2):
        app.bus.handle(c.MoveTestClock(TENANT, "clk1", at(days=12)))
    assert app.work.test_clock(TENANT).frozen_at == at(days=12)  # type: ignore[union-attr]
    with pytest.raises(InputError, match="only moves forward"):
        app.bus.handle(c.MoveTestClock(TENANT, "clk1", at(days=11)))
