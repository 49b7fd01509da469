"""Due work on SQLite and PostgreSQL: a test clock walks a customer's year of credit lots, and
parallel worker processes on PostgreSQL divide due work without running anything twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from fakes import at, lot
from refundable.bootstrap import App
from refundable.ledger import accounts as chart
from refundable.ledger.lots import LotStatus
from refundable.scheduling.model import ActionKind, ActionState, ScheduledAction
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def assert_balanced(app: App, tenant: str) -> None:
    """Every entry of the tenant's journal sums to zero per commodity."""
    journal = app.queries.journal(tenant)
    assert journal
    for entry in journal:
        sums: dict[str, int] = {}
        for line in entry.lines:
            sums[line.account.commodity] = sums.get(line.account.commodity, 0) + line.amount
        assert set(sums.values()) == {0}, entry.entry_id


def test_a_test_clock_walks_a_year_of_lots(app: App, tenant: str) -> None:
    app.bus.handle(c.CreateTestClock(tenant, "clock", "year", at()))
    for month in range(12):
        lot(app, tenant, "C1", f"L{month}", 10 + month, "1.00", bought=30 * month)
    assert all(x.status is LotStatus.open for x in app.queries.lots_of(tenant, "C1"))
    for month in range(1, 13):
        advance_test_clock(app.bus, app.work, tenant, "year", at(days=30 * month + 2))
        lots = app.queries.lots_of(tenant, "C1")
        expired = sorted(x.lot_id for x in lots if x.status is LotStatus.expired)
        assert expired == sorted(f"L{m}" for m in range(month))
        left = sum(10 + m for m in range(month, 12))
        assert app.queries.balance(tenant, chart.credit_lots("C1")) == left
    states = {a.state for a in app.work.actions(tenant)}
    assert states == {ActionState.done}
    assert_balanced(app, tenant)


WORKER = textwrap.dedent(
    """
    import os, sys, time
    from datetime import datetime, timezone
    from refundable.bootstrap import bootstrap
    from refundable.service.scheduled import run_due
    app = bootstrap(sys.argv[1], apply_migrations=False)
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    # start together: a worker that finished importing first must not drain it all alone
    gate = sys.argv[3]
    open(os.path.join(gate, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 120
    while len(os.listdir(gate)) < int(sys.argv[4]) and time.monotonic() < deadline:
        time.sleep(0.01)
    # small claims, and a look for more after each: many chances for workers to collide
    report = run_due(app.bus, app.work, now, tenant_id=sys.argv[2], batch=5, group=5)
    print(report.ran, report.skipped, report.failed)
    """
)
WORKERS = 4
NOTICES = 1200  # with 40 expiries: about 250 claims of 5, so a fair share is some 60 each


def test_parallel_workers_divide_the_work_and_run_each_action_exactly_once(
    postgresql_app: App, pg_url: str, tmp_path: Path
) -> None:
    from fakes import open_tenant

    app, tenant = postgresql_app, "parallel-workers"
    open_tenant(app, tenant)
    notices = [
        ScheduledAction.new(tenant, ActionKind.notice, "reminder", at(hours=n / 60), {"n": str(n)})
        for n in range(NOTICES)
    ]
    with app.bus.uow_factory() as uow:
        uow.repositories(tenant).schedule.add(notices)
        uow.commit()
    for day in range(40):
        lot(app, tenant, f"C{day % 4}", f"P{day}", 5, "1.00", bought=day)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, pg_url, tenant, str(tmp_path), str(WORKERS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [w.communicate(timeout=300)[0].split() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    ran = [int(out[0]) for out in outputs]
    actions = app.work.actions(tenant)
    assert len(actions) == NOTICES + 40
    assert sum(ran) == len(actions)  # every action ran once, in one worker or another
    # The work was divided: every worker claimed the next due actions nobody held instead of
    # stopping at a locked one. A fair share is a quarter; a quarter of that is the floor, so
    # a worker the machine starves for a while still passes, one that stopped early does not.
    assert min(ran) >= len(actions) // (WORKERS * WORKERS), ran
    assert {(a.state, a.attempts) for a in actions} == {(ActionState.done, 1)}
    assert sorted(int(m.payload["n"]) for m in app.work.outbox(tenant)) == list(range(NOTICES))
    expired = [
        x for cid in ("C0", "C1", "C2", "C3") for x in app.queries.lots_of(tenant, cid)
        if x.status is LotStatus.expired
    ]  # fmt: skip
    assert len(expired) == 40
    assert all(app.queries.balance(tenant, chart.credit_lots(f"C{i}")) == 0 for i in range(4))
    assert_balanced(app, tenant)
    assert max(a.due_at for a in actions) < at(days=80) + timedelta(days=1)
