"""The balance-checkpoint job as scheduled work (ADR 0045), on SQLite and PostgreSQL: once put
on a tenant's schedule it runs with the other due work, checkpoints the tenant's own accounts
(reads through them equal the plain sums), re-schedules itself one interval after its own due
instant, runs each occurrence exactly once, and appends nothing when nothing new was recorded.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from fakes import at, memory_app
from refundable.adapters.db import schema as t
from refundable.adapters.db.rows import to_us
from refundable.bootstrap import App
from refundable.core.limits import CHECKPOINT_EVERY_LINES, CHECKPOINT_RUN_EVERY_S
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.scheduling.model import ActionKind, ActionState
from refundable.service import commands as c
from refundable.service.checkpoint_job import checkpoint_action, next_run
from refundable.service.common import Detail
from refundable.service.scheduled import run_due

REVENUE = chart.tenant_account(Kind.revenue, "ZAR")
DAY = timedelta(seconds=CHECKPOINT_RUN_EVERY_S)


def _history(app: App, tenant: str, n: int, recorded: datetime, first: int = 0) -> None:
    """``n`` charges (receivable/C1 against revenue), one a minute, written raw: the job's
    cost is the history, not how it was posted."""
    entries: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for i in range(first, first + n):
        eid, us = f"e{uuid.uuid4().hex[:20]}", to_us(at(hours=i / 60))
        entries.append({"tenant_id": tenant, "entry_id": eid, "kind": "charge",
                        "effective_us": us, "recorded_us": to_us(recorded), "memo": "",
                        "ref": eid, "reverses": None, "idem_key": None, "meta": None})  # fmt: skip
        for no, (account, amount) in enumerate((("receivable/C1/ZAR", 100), (REVENUE.code, -100))):
            lines.append({"tenant_id": tenant, "entry_id": eid, "line_no": no,
                          "account": account, "commodity": "ZAR", "amount": amount,
                          "lot_id": None, "effective_us": us})  # fmt: skip
    with app.db.begin() as conn:
        conn.execute(insert(t.entries), entries)
        conn.execute(insert(t.lines), lines)


def _open_accounts(app: App, tenant: str) -> None:
    """The two accounts the history names, made as the posting path makes them."""
    with app.bus.uow_factory() as uow:
        uow.repositories(tenant).journal.lock_balances([chart.receivable("C1", "ZAR"), REVENUE])
        uow.commit()


def _checkpoints(app: App, tenant: str, account: str) -> int:
    cp = t.balance_checkpoints.c
    stmt = select(func.count()).where(cp.tenant_id == tenant, cp.account == account)
    with app.db.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def test_the_job_runs_as_due_work_and_keeps_checkpoints_current(app: App, tenant: str) -> None:
    _open_accounts(app, tenant)
    n = 2 * CHECKPOINT_EVERY_LINES + 10
    _history(app, tenant, n, recorded=at(days=-1))
    _history(app, tenant, 1, recorded=at(), first=n)  # the newest: sets the watermark
    app.bus.handle(c.ScheduleCheckpoints(tenant, at(days=1)))
    app.bus.handle(c.ScheduleCheckpoints(tenant, at(days=1)))  # asked twice: scheduled once
    assert run_due(app.bus, app.work, at(hours=23), tenant_id=tenant).ran == 0  # not yet due
    assert run_due(app.bus, app.work, at(days=1), tenant_id=tenant).ran == 1
    assert _checkpoints(app, tenant, REVENUE.code) == 2  # one per 1,000 lines
    assert _checkpoints(app, tenant, "receivable/C1/ZAR") == 0  # a customer's: not hot
    mid = at(hours=(n - 5) / 60)
    assert app.queries.balance(tenant, REVENUE, mid) == n - 4  # through the checkpoints
    [done, following] = sorted(app.work.actions(tenant), key=lambda a: a.due_at)
    assert (done.kind, done.state) == (ActionKind.balance_checkpoints, ActionState.done)
    assert following.due_at == next_run(at(days=1), app.clock.now())
    assert following.state is ActionState.pending
    # nothing recorded since: the next occurrence runs and appends nothing
    assert run_due(app.bus, app.work, following.due_at, tenant_id=tenant).ran == 1
    assert _checkpoints(app, tenant, REVENUE.code) == 2
    # new history, recorded later: the one after appends a fresh set with a newer watermark
    _history(app, tenant, 5, recorded=at(days=2, hours=1), first=n + 1)
    assert run_due(app.bus, app.work, _pending(app, tenant), tenant_id=tenant).ran == 1
    assert _checkpoints(app, tenant, REVENUE.code) == 4
    assert app.queries.balance(tenant, REVENUE, at(days=9)) == n + 6
    states = [a.state for a in sorted(app.work.actions(tenant), key=lambda a: a.due_at)]
    assert states == [ActionState.done] * 3 + [ActionState.pending]


def _pending(app: App, tenant: str) -> datetime:
    [pending] = [a for a in app.work.actions(tenant) if a.state is ActionState.pending]
    return pending.due_at


def test_the_next_run_is_on_the_grid_after_the_run() -> None:
    due = at(days=1)
    assert next_run(due, due) == due + DAY
    assert next_run(due, due - DAY * 3) == due + DAY  # a test clock ahead of the real one
    assert next_run(due, due + DAY * 7 + timedelta(hours=3)) == due + DAY * 8  # once, not 7x
    assert next_run(due, due + DAY) == due + DAY * 2


def test_an_occurrence_runs_once_even_when_run_again(app: App, tenant: str) -> None:
    app.bus.handle(c.ScheduleCheckpoints(tenant, at(days=1)))
    first = checkpoint_action(tenant, at(days=1))
    app.bus.handle(c.RunDueAction(tenant, first.action_id, at(days=1)))
    again = app.bus.handle(c.RunDueAction(tenant, first.action_id, at(days=1)))
    assert again.details[Detail.outcome] == "skipped"
    assert len(app.work.actions(tenant)) == 2  # the done one and its single successor


def test_on_the_memory_store_the_job_runs_and_writes_nothing() -> None:
    from fakes import TENANT

    app = memory_app()
    app.bus.handle(c.ScheduleCheckpoints(TENANT, at(days=1)))
    receipt = app.bus.handle(c.RunDueAction(TENANT, checkpoint_action(TENANT, at(days=1)).action_id,
                                            at(days=1)))  # fmt: skip
    assert receipt.details[Detail.checkpoints] == "0"
    assert [a.due_at for a in app.work.actions(TENANT)] == [at(days=1), at(days=2)]
