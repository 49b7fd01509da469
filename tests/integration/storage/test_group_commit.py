"""Group commit (ADR 0072): several commands in one transaction, each in its own step.

Every command of a batch must end exactly as it would have alone: its receipt, or its error
with nothing of its own kept, while the others' work stays; a replayed key replays; a batch
that cannot commit leaves nothing and each command runs again alone; the writer thread of
``GroupCommit`` batches what queued while the store was busy.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fakes import T0, customer, open_tenant, top_up, zar
from refundable.adapters.db import fastpath
from refundable.adapters.db.engine import begin_write
from refundable.adapters.db.known_accounts import accounts_ensured, accounts_known
from refundable.adapters.db.prepared import Stale, Unrehearsable
from refundable.adapters.db.uow import SqlUnitOfWork
from refundable.bootstrap import App, bootstrap
from refundable.cases.model import Subject
from refundable.config import shipped_policies_dir
from refundable.core.errors import Conflict, IdempotencyConflict, InsufficientFunds
from refundable.core.methods import Method
from refundable.core.time import UTC, FixedClock
from refundable.ledger import accounts as chart
from refundable.policy.facts import Reason
from refundable.service import bus as bus_module
from refundable.service import commands as c
from refundable.service.common import Receipt
from refundable.service.group_commit import GroupCommit
from refundable.service.ports import Retry


def _tenant(app: App, *customers: str) -> str:
    """A fresh tenant with these customers, affiliates of one group (so they may transfer)."""
    tenant = f"t{uuid.uuid4().hex[:16]}"
    open_tenant(app, tenant)
    for cid in customers:
        customer(app, tenant, cid, group_id="g1")
    return tenant


def _top(tenant: str, pid: str, cid: str, amount: str, key: str | None = None) -> c.TopUpWallet:
    return c.TopUpWallet(tenant, key or f"top-{pid}", pid, cid, zar(amount), Method.eft, "bank", T0)


def _wallet(app: App, tenant: str, cid: str) -> Decimal:
    return app.queries.balance(tenant, chart.wallet(cid, "ZAR"))


def test_each_command_of_a_batch_ends_as_it_would_alone(any_app: App) -> None:
    app = any_app
    tenant = _tenant(app, "A", "B")
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
    tenant = _tenant(app, "A")
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
    tenant = _tenant(app, "A")
    real = bus_module.HANDLERS[c.TopUpWallet]
    calls: list[str] = []

    def colliding_once(cmd: Any, ctx: Any) -> Any:
        calls.append(cmd.payment_id)
        if cmd.payment_id == "r1" and calls.count("r1") == 1:
            real(cmd, ctx)  # writes, then collides: the step must undo what it wrote
            raise Retry("simulated serialization failure")
        return real(cmd, ctx)

    monkeypatch.setitem(bus_module.HANDLERS, c.TopUpWallet, colliding_once)
    monkeypatch.setattr(app.bus, "rehearse", lambda cmds: [None] * len(cmds))  # handler calls only
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
    tenant = _tenant(app, "A")
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
    tenant = _tenant(app, "A", "B")
    grouped = GroupCommit(app.bus)
    try:
        with pytest.raises(InsufficientFunds):
            grouped.handle(c.TransferWallet(tenant, "x", "x9", "A", "B", zar("5.00"), T0))
        assert grouped.handle(_top(tenant, "ok", "A", "3.00")).command == "TopUpWallet"
    finally:
        grouped.close()
    assert _wallet(app, tenant, "A") == Decimal("3.00")


# --- rehearsals: the batch's commands run first on a read snapshot, writes recorded ----------

T1 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday


def _conek_world(app: App) -> list[c.Command]:
    """The same tenant, charges and one waiting case in any store; returns the batch to run:
    a paid-out intake, one that waits for information, an account case that is denied, a
    second case on the first one's charge (refused: one is open) and an answer that decides."""
    tenant = "conek-batch"
    text = (shipped_policies_dir() / "conek.yaml").read_text()
    app.bus.handle(c.PublishPolicy(tenant, "publish", text, name="conek"))
    for n in (1, 2, 3):
        app.bus.handle(c.RecordCharge(tenant, f"kch{n}", f"ch{n}", f"C{n}", zar("499.00"), T1))
        app.bus.handle(c.RecordPayment(tenant, f"kp{n}", f"p{n}", f"C{n}", zar("499.00"),
                                       Method.card, "psp", T1))  # fmt: skip
    facts = {"charge": {"kind": "subscription", "billing": "monthly"}}
    info = {"explanation": "charged twice", "email": "c@acme.test"}
    at = T1 + timedelta(days=1)

    def intake(n: int, charge: str, answers: dict[str, str]) -> c.OpenCase:
        return c.OpenCase(tenant, f"kcase{n}", f"case{n}", f"C{charge[-1]}", Subject.charge,
                          charge, Reason.duplicate_charge, at, "agent:a", answers, facts,
                          f"p{charge[-1]}")  # fmt: skip

    app.bus.handle(intake(0, "ch3", info))  # waits for "account"
    return [
        intake(1, "ch1", {**info, "account": "c1 Acme"}),
        intake(2, "ch2", info),
        c.OpenCase(tenant, "kcase3", "case3", "C9", Subject.account, "C9",
                   Reason.duplicate_charge, at, "agent:a",
                   {"account": "a", "transaction": "t", "explanation": "twice"}),
        intake(4, "ch1", {**info, "account": "c1 Acme"}),  # case1 is open on ch1 by then
        c.ProvideInformation(tenant, "kpi", "case0", at + timedelta(hours=1), "customer:C3",
                             information={"account": "c3 Acme"}),
    ]  # fmt: skip


def _dump(app: App) -> dict[str, list[tuple[Any, ...]]]:
    with app.db.connect() as conn:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]  # fmt: skip
        return {n: sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{n}"')), key=repr)
                for n in names if n != "alembic_version"}  # fmt: skip


def _outcome(r: Receipt | Exception) -> tuple[str, Any]:
    if isinstance(r, Exception):
        return type(r).__name__, str(r)
    return r.command, (r.entry_ids, r.ref, dict(r.details), r.replayed)


def test_a_rehearsed_batch_writes_exactly_what_the_commands_write_alone(tmp_path: Path) -> None:
    alone = bootstrap(f"sqlite:///{tmp_path}/alone.db", FixedClock(T1 + timedelta(days=1)))
    grouped = bootstrap(f"sqlite:///{tmp_path}/grouped.db", FixedClock(T1 + timedelta(days=1)))
    try:
        one_by_one = [alone.bus.handle_or_error(cmd) for cmd in _conek_world(alone)]
        batch = _conek_world(grouped)
        rehearsed = grouped.bus.rehearse(batch)
        # the fresh intakes and the answer were rehearsed; none of it was written
        assert [r is not None for r in rehearsed] == [True, True, True, True, True]
        in_batch = grouped.bus.handle_batch(batch)
        assert [_outcome(r) for r in in_batch] == [_outcome(r) for r in one_by_one]
        assert [type(r).__name__ for r in in_batch].count("Conflict") == 1  # case4's refusal
        assert _dump(grouped) == _dump(alone)
    finally:
        alone.close()
        grouped.close()


def test_a_rehearsal_writes_nothing(sqlite_app: App) -> None:
    batch = _conek_world_for(sqlite_app)
    before = _dump(sqlite_app)
    assert all(r is not None for r in sqlite_app.bus.rehearse(batch))
    assert _dump(sqlite_app) == before


def _conek_world_for(app: App) -> list[c.Command]:
    """``_conek_world`` once per app (its ids are fixed)."""
    if not getattr(app, "_conek_batch", None):
        object.__setattr__(app, "_conek_batch", _conek_world(app))
    batch: list[c.Command] = app._conek_batch  # type: ignore[attr-defined]
    return batch


def test_a_rehearsal_whose_reads_changed_is_not_replayed(tmp_path: Path) -> None:
    app = bootstrap(f"sqlite:///{tmp_path}/stale.db", FixedClock(T1 + timedelta(days=1)))
    try:
        batch = _conek_world(app)
        first = batch[0]
        assert isinstance(first, c.OpenCase)
        [rehearsed] = app.bus.rehearse([first])
        assert rehearsed is not None
        # meanwhile another writer opens a case on the same charge
        rival = c.OpenCase(first.tenant_id, "krival", "rival", first.customer_id, first.subject,
                           first.subject_id, first.reason, first.at, "agent:b",
                           first.information, first.facts, first.payment_id)  # fmt: skip
        app.bus.handle(rival)
        with SqlUnitOfWork(app.db, app.clock) as uow, pytest.raises(Stale):
            uow.replay(rehearsed.recording)  # refused at the read, before any write is tried
        with SqlUnitOfWork(app.db, app.clock) as uow:
            assert bus_module._replayed(uow, rehearsed) is None  # stale: nothing replayed
        [result] = app.bus.handle_batch([first])
        assert isinstance(result, Conflict)  # what the command meets when run for real
        assert app.cases_read is not None and app.cases_read.case(first.tenant_id, "case1") is None
    finally:
        app.close()


def test_a_rehearsed_answer_to_a_case_withdrawn_meanwhile_is_not_replayed(tmp_path: Path) -> None:
    """No constraint would stop this one: only the read of the case, compared, does."""
    app = bootstrap(f"sqlite:///{tmp_path}/withdrawn.db", FixedClock(T1 + timedelta(days=1)))
    try:
        answer = _conek_world(app)[-1]
        assert isinstance(answer, c.ProvideInformation)
        [rehearsed] = app.bus.rehearse([answer])
        assert rehearsed is not None and rehearsed.done.details["state"] == "paying"
        app.bus.handle(c.WithdrawCase(answer.tenant_id, "kwd", "case0", answer.at, "customer:C3"))
        [result] = app.bus.handle_batch([answer])
        assert isinstance(result, Conflict)  # the case is closed: the answer comes too late
        assert app.cases_read is not None
        case = app.cases_read.case(answer.tenant_id, "case0")
        assert case is not None and case.state.value == "withdrawn"
    finally:
        app.close()


def test_a_rehearsed_transfer_from_a_wallet_drained_meanwhile_is_not_replayed(
    sqlite_app: App,
) -> None:
    app = sqlite_app
    tenant = _tenant(app, "A", "B", "C")
    top_up(app, tenant, "A", "100.00", "seed-a")
    transfer = c.TransferWallet(tenant, "kx1", "x1", "A", "B", zar("80.00"), T0)
    [rehearsed] = app.bus.rehearse([transfer])
    assert rehearsed is not None  # 80 of 100: fine on the snapshot
    app.bus.handle(c.TransferWallet(tenant, "kx2", "x2", "A", "C", zar("50.00"), T0))
    [result] = app.bus.handle_batch([transfer])
    assert isinstance(result, InsufficientFunds)  # 80 of the 50 left: refused for real
    assert (_wallet(app, tenant, "A"), _wallet(app, tenant, "B")) == (Decimal("50.00"), 0)


def test_what_a_rehearsal_cannot_record_ends_it(sqlite_app: App) -> None:
    with sqlite_app.bus.read_uow_factory() as view:
        assert isinstance(view, SqlUnitOfWork) and view._conn is not None
        conn = view._conn
        with pytest.raises(Unrehearsable), view.recording():
            conn.exec_driver_sql("SELECT 1")  # off the prepared path: not recorded
        with pytest.raises(Unrehearsable), view.recording():
            fastpath.known_events(conn, "t", ["e1"])  # the usage fast path: not recorded
        with view.recording() as rec:
            assert rec is not None  # a clean rehearsal after the refused ones


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # it dies
def test_a_writer_thread_that_died_is_replaced(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = sqlite_app
    tenant = _tenant(app, "A")
    grouped = GroupCommit(app.bus)
    real = app.bus.handle_batch
    go = threading.Event()
    queued: list[Any] = []

    def dying(commands: Any) -> Any:
        go.wait(30)
        monkeypatch.setattr(app.bus, "handle_batch", real)
        raise SystemExit("the thread's last batch")

    monkeypatch.setattr(app.bus, "handle_batch", dying)
    try:
        first = grouped.submit(_top(tenant, "d1", "A", "1.00"))
        dying_thread = grouped._thread
        # runs on the dying thread as it fails the first caller: a command queued while that
        # thread is still alive, which it will never take
        first.add_done_callback(
            lambda _: queued.append(grouped.submit(_top(tenant, "d2", "A", "2.00")))
        )
        go.set()
        with pytest.raises(SystemExit):  # told, not left waiting
            first.result(timeout=30)
        assert queued[0].result(timeout=30).command == "TopUpWallet"  # a new thread ran it
        assert dying_thread is not None
        dying_thread.join(30)  # its death is reported within this test, not a later one
        assert not dying_thread.is_alive() and grouped._thread is not dying_thread
    finally:
        grouped.close()
    assert _wallet(app, tenant, "A") == Decimal("2.00")
