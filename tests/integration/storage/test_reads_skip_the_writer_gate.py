"""Reads that never commit do not queue for SQLite's write lock (ADR 0070 addendum): the
decision preview's tenant refresh, tenant reads and subscription reads finish while another
writer holds the lock. Before, they ran in write transactions and waited at the writer gate
behind every intake."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from refundable.adapters.db.engine import begin_write
from refundable.bootstrap import App
from refundable.service.preview import Previewer
from refundable.service.tenant_reads import policy_in_force


def _finishes_while_a_writer_holds_the_lock(app: App, read: Callable[[], Any]) -> Any:
    conn, tx = begin_write(app.db)  # another writer holds the gate and SQLite's write lock
    result: list[Any] = []
    try:
        th = threading.Thread(target=lambda: result.append(read()), daemon=True)
        th.start()
        th.join(20)  # a write transaction would wait here for the whole busy timeout (30 s)
        finished = not th.is_alive()
    finally:
        tx.rollback()
        conn.close()
    th.join(60)
    assert finished, "the read queued behind the writer"
    return result[0]


def test_the_preview_tenant_refresh_does_not_wait_for_writers(sqlite_app: App, tenant: str) -> None:
    previewer = Previewer(sqlite_app.bus.read_uow_factory, sqlite_app.catalog)
    previewer.forget(tenant)
    assert _finishes_while_a_writer_holds_the_lock(
        sqlite_app, lambda: previewer.policy_id(tenant)
    ) == previewer.policy_id(tenant)


def test_tenant_and_subscription_reads_do_not_wait_for_writers(
    sqlite_app: App, tenant: str
) -> None:
    policy = _finishes_while_a_writer_holds_the_lock(
        sqlite_app, lambda: policy_in_force(sqlite_app.bus, tenant, sqlite_app.clock.now())
    )
    assert policy is not None
    found = _finishes_while_a_writer_holds_the_lock(
        sqlite_app, lambda: sqlite_app.subscriptions.record(tenant, "no-such-subscription")
    )
    assert found is None
