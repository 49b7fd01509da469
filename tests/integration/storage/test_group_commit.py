"""Group commit (ADR 0072): several commands in one transaction, each in its own step.

Every command of a batch must end exactly as it would have alone: its receipt, or its error
with nothing of its own kept, while the others' work stays; a replayed key replays; a batch
that cannot commit leaves nothing and each command runs again alone; the writer thread of
``GroupCommit`` batches what queued while the store was busy.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from fakes import T0, customer, memory_app, open_tenant, top_up, zar
from refundable.adapters.db.engine import begin_write
from refundable.adapters.db.known_accounts import accounts_ensured, accounts_known
from refundable.adapters.db.uow import SqlUnitOfWork
from refundable.bootstrap import App
from refundable.core.errors import IdempotencyConflict, InsufficientFunds
from refundable.core.methods import Method
from refundable.ledger import accounts as chart
from refundable.service import bus as bus_module
from refundable.service import commands as c
from refundable.service.common import Receipt
from refundable.service.group_commit import GroupCommit
from refundable.service.ports import Retry


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> Iterator[App]:
    if request.param == "memory":
        app = memory_app()
        yield app
        app.close()
    else:
        yield request.getfixturevalue(f"{request.param}_app")


def _tenant(app: App) -> str:
    tenant = f"t{uuid.uuid4().hex[:16]}"
    open_tenant(app, tenant)
    return tenant


def _top(tenant: str, pid: str, cid: str, amount: str, key: str | None = None) -> c.TopUpWallet:
    return c.TopUpWallet(tenant, key or f"top-{pid}", pid, cid, zar(amount), Method.eft, "bank", T0)


def _wallet(app: App, tenant: str, cid: str) -> Decimal:
    return app.queries.balance(tenant, chart.wallet(cid, "ZAR"))


def test_each_command_of_a_batch_ends_as_it_would_alone(any_app: App) -> None:
    app = any_app
    tenant = _tenant(app)
    for cid in ("A", "B"):
        customer(app, tenant, cid, group_id="g1")  # affiliates: they may transfer
    top_up(app, tenant, "B", "10.00", "seed-b")
    results = app.bus.handle_batch([
        _top(tenant, "p1", "A", "100.00"),
        c.TransferWallet(tenant, "xfer", "x1", "B", "A", zar("50.00"), T0),  # B has 10
        _top(tenant, "p2", "A", "7.00"),
        _top(tenant, "p1", "A", "100.00"),  # the first one's key and payload: a replay
        _top(tenant, "p3", "A", "1.00", key="top-p1"),  # its key, another payload
    ])  # fmt: skip
    first, refused, second, replay, clash = results
    assert isinstance(first, Receipt) and not first.replayed
    assert isinstance(refused, InsufficientFunds)
    assert isinstance(second, Receipt) and not second.replayed
    assert isinstance(replay, Receipt) and replay.replayed
    assert replay.entry_ids == first.entry_ids
    assert isinstance(clash, IdempotencyConflict)
    assert _wallet(app, tenant, "A") == Decimal("107.00")
    assert _wallet(app, tenant, "B") == Decimal("10.00")  # the refused transfer left nothing
    journal = app.queries.journal(tenant)
    assert {e.entry_id for e in journal} >= {*first.entry_ids, *second.entry_ids}
    assert len(journal) == 3  # seed top-up, p1, p2: nothing from the refused or clashing ones
    # the refused transfer's key was not spent: the same command, once funded, runs
    top_up(app, tenant, "B", "40.00", "seed-b2")
    done = app.bus.handle(c.TransferWallet(tenant, "xfer", "x1", "B", "A", zar("50.00"), T0))
    assert not done.replayed and _wallet(app, tenant, "A") == Decimal("157.00")


def test_a_batch_that_cannot_commit_runs_each_command_alone(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = sqlite_app
    tenant = _tenant(app)
    customer(app, tenant, "A")
    real_commit = SqlUnitOfWork.commit
    failed: list[int] = []

    def commit_failing_once(self: SqlUnitOfWork) -> None:
        if not failed:
            failed.append(1)
            raise OSError("disk I/O error (simulated at the batch's COMMIT)")
        real_commit(self)

    monkeypatch.setattr(SqlUnitOfWork, "commit", commit_failing_once)
    results = app.bus.handle_batch([_top(tenant, f"q{i}", "A", "1.00") for i in range(4)])
    assert failed == [1]
    assert all(isinstance(r, Receipt) and not r.replayed for r in results)
    assert _wallet(app, tenant, "A") == Decimal("4.00")  # each once: none lost, none twice
    assert len(app.queries.journal(tenant)) == 4


def test_a_transient_conflict_runs_that_command_again_alone(
    any_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = any_app
    tenant = _tenant(app)
    customer(app, tenant, "A")
    real = bus_module.HANDLERS[c.TopUpWallet]
    calls: list[str] = []

    def colliding_once(cmd: Any, ctx: Any) -> Any:
        calls.append(cmd.payment_id)
        if cmd.payment_id == "r1" and calls.count("r1") == 1:
            real(cmd, ctx)  # writes, then collides: the step must undo what it wrote
            raise Retry("simulated serialization failure")
        return real(cmd, ctx)

    monkeypatch.setitem(bus_module.HANDLERS, c.TopUpWallet, colliding_once)
    results = app.bus.handle_batch([_top(tenant, p, "A", "2.00") for p in ("r0", "r1", "r2")])
    assert all(isinstance(r, Receipt) for r in results)
    assert calls == ["r0", "r1", "r2", "r1"]  # r1 again, alone, after the batch
    assert _wallet(app, tenant, "A") == Decimal("6.00")
    assert len(app.queries.journal(tenant)) == 3


def test_a_failed_step_forgets_the_accounts_it_ensured(sqlite_app: App) -> None:
    with SqlUnitOfWork(sqlite_app.db, sqlite_app.clock) as uow:
        conn = uow._conn
        assert conn is not None
        with uow.step():
            accounts_ensured(conn, "t-steps", {"kept"})
        with pytest.raises(RuntimeError), uow.step():
            accounts_ensured(conn, "t-steps", {"undone"})
            raise RuntimeError("the command failed after ensuring an account")
        assert accounts_known(conn, "t-steps") == {"kept"}


def test_the_writer_thread_batches_what_queued_while_the_store_was_busy(
    sqlite_app: App,
) -> None:
    app = sqlite_app
    tenant = _tenant(app)
    customer(app, tenant, "A")
    grouped = GroupCommit(app.bus, max_batch=8)
    conn, tx = begin_write(app.db)  # another writer holds the lock: commands queue meanwhile
    try:
        futures = [grouped.submit(_top(tenant, f"g{i}", "A", "1.00")) for i in range(20)]
        started = threading.Event()
        threading.Timer(0.3, started.set).start()
        started.wait()
    finally:
        tx.rollback()
        conn.close()
    receipts = [f.result(timeout=60) for f in futures]
    grouped.close()
    assert len({r.entry_ids for r in receipts}) == 20
    assert _wallet(app, tenant, "A") == Decimal("20.00")
    # the first command waited alone at the lock; the 19 behind it went in batches of <= 8
    assert grouped.commands == 20
    assert grouped.batches <= 1 + 3
    with pytest.raises(Exception, match="closed"):
        grouped.submit(_top(tenant, "late", "A", "1.00"))


def test_errors_reach_the_caller_of_the_queue(sqlite_app: App) -> None:
    app = sqlite_app
    tenant = _tenant(app)
    customer(app, tenant, "A", group_id="g1")
    customer(app, tenant, "B", group_id="g1")
    grouped = GroupCommit(app.bus)
    try:
        with pytest.raises(InsufficientFunds):
            grouped.handle(c.TransferWallet(tenant, "x", "x9", "A", "B", zar("5.00"), T0))
        assert grouped.handle(_top(tenant, "ok", "A", "3.00")).command == "TopUpWallet"
    finally:
        grouped.close()
    assert _wallet(app, tenant, "A") == Decimal("3.00")
