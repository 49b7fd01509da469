"""Kill -9 trials of the payout path: a forked worker drains the outbox and SIGKILLs itself at
the n-th point of the path (every step of a send, and just before and just after every commit
of the bus); then this process, as a restarted worker, drains until nothing is left, and the
trial checks that every payout was paid exactly once: one refund at the gateway, one refund
entry in the ledger, the payment's counters equal to that refund, the message sent.

The gateway is the sandbox (its own SQLite file, shared with the child), optionally with
faults, so the child and the parent see the same outside world. Used by
``test_payout_crash.py`` and by ``bench/payout_crash_trials.py`` (the long run).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from fakes import open_tenant
from outbox_kit import PAID_AT, approved_payout, senders
from refundable.adapters.payments.sandbox import Faults, SandboxGateway
from refundable.bootstrap import App
from refundable.service.outbox import Env, RetryPolicy, drain_outbox
from refundable.service.outbox_store import MessageState

FORK = multiprocessing.get_context("fork")
PAYOUTS = ("c1", "c2")  # two payouts per trial: a kill lands in one or between them
POLICY = RetryPolicy()
DRAINS = 8  # the restarted worker's passes (a day apart: leases, backoffs and polls are due)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _counting(kill_at: int | None) -> Callable[[str], None]:
    """A step hook that counts points and dies at ``kill_at`` (never when None)."""
    seen = iter(range(1, 10**6))

    def step(_name: str) -> None:
        if next(seen) == kill_at:
            _die()

    return step


def _patch_commits(step: Callable[[str], None]) -> None:
    """Make every bus commit two more points: just before it and just after it."""
    from refundable.adapters.db.uow import SqlUnitOfWork

    original = SqlUnitOfWork.commit

    def commit(self: SqlUnitOfWork) -> None:
        step("before_commit")
        original(self)
        step("after_commit")

    SqlUnitOfWork.commit = commit  # type: ignore[method-assign]


def run_worker(app: App, gateway: SandboxGateway, step: Callable[[str], None], tenant: str) -> None:
    """What the killed worker does: one drain now, one after the poll interval (so a slow
    settlement is asked again)."""
    s = senders(gateway)
    assert app.outbox is not None
    for now in (PAID_AT, PAID_AT + POLICY.poll + timedelta(minutes=1)):
        drain_outbox(Env(app.bus, app.outbox, s, now, POLICY, step), tenant_id=tenant)


def _child(app: App, gateway: SandboxGateway, tenant: str, kill_at: int | None) -> None:
    app.db.dispose(close=False)  # the parent's connections stay the parent's
    step = _counting(kill_at)
    _patch_commits(step)
    run_worker(app, gateway, step, tenant)
    os._exit(0)


def count_points(app: App, gateway: SandboxGateway, tenant: str, faults: Faults) -> int:
    """How many kill points a clean run of one trial passes (run in a child, counted)."""
    batch = _batch(app, gateway, tenant, faults)
    reader, writer = FORK.Pipe(duplex=False)

    def child() -> None:
        app.db.dispose(close=False)
        n = [0]

        def step(_name: str) -> None:
            n[0] += 1

        _patch_commits(step)
        run_worker(app, gateway, step, tenant)
        writer.send(n[0])
        os._exit(0)

    proc = FORK.Process(target=child)
    proc.start()
    proc.join(120)
    finish(app, gateway, tenant)
    assert check(app, gateway, tenant, batch) == []
    return int(reader.recv())


def new_tenant(app: App) -> str:
    """One tenant per test; each trial adds its own customers, payments and payouts (a
    batch), and the previous trials' messages are all sent, so the worker sees only these."""
    tenant = f"x{uuid.uuid4().hex[:15]}"
    open_tenant(app, tenant)
    return tenant


def _batch(app: App, gateway: SandboxGateway, tenant: str, faults: Faults) -> str:
    batch = f"b{uuid.uuid4().hex[:10]}"
    for case in PAYOUTS:
        approved_payout(app, tenant, f"{batch}-{case}", "40.00", cid=f"{batch}-{case}")
    gateway.set_faults(faults)
    return batch


@dataclass
class Tally:
    trials: int = 0
    killed: int = 0
    problems: list[str] = field(default_factory=list)


def trial(
    app: App, gateway: SandboxGateway, tenant: str, faults: Faults, kill_at: int, tally: Tally
) -> None:
    batch = _batch(app, gateway, tenant, faults)
    proc = FORK.Process(target=_child, args=(app, gateway, tenant, kill_at))
    proc.start()
    proc.join(120)
    tally.trials += 1
    tally.killed += proc.exitcode == -signal.SIGKILL
    if proc.exitcode not in (0, -signal.SIGKILL):
        tally.problems.append(f"{tenant}: the worker failed with exit code {proc.exitcode}")
    gateway.set_faults(Faults())  # the restarted worker meets a healthy gateway
    finish(app, gateway, tenant)
    tally.problems += check(app, gateway, tenant, batch)


def finish(app: App, gateway: SandboxGateway, tenant: str) -> None:
    assert app.outbox is not None
    s = senders(gateway)
    for day in range(1, DRAINS + 1):
        drain_outbox(Env(app.bus, app.outbox, s, PAID_AT + timedelta(days=day), POLICY),
                     tenant_id=tenant)  # fmt: skip
        if not app.outbox.messages(tenant, MessageState.pending):
            return


def check(app: App, gateway: SandboxGateway, tenant: str, batch: str) -> list[str]:
    """Every way the batch's payouts were not paid exactly once, as sentences."""
    assert app.outbox is not None
    found = []
    at_gateway: dict[str, int] = {}
    for r in gateway.refunds():
        meta = json.loads(r["metadata"])
        if meta.get("tenant_id") == tenant and meta["case_id"].startswith(batch):
            at_gateway[meta["payout_id"]] = at_gateway.get(meta["payout_id"], 0) + 1
    payouts = [p for p in app.outbox.payouts(tenant) if p.case_id.startswith(batch)]
    if len(payouts) != len(PAYOUTS):
        found.append(f"{tenant}: {len(payouts)} payouts recorded, expected {len(PAYOUTS)}")
    for p in payouts:
        if p.state.value != "settled":
            found.append(f"{tenant}: payout {p.payout_id} ended {p.state.value}")
        if at_gateway.get(p.payout_id) != 1:
            found.append(f"{tenant}: gateway made {at_gateway.get(p.payout_id, 0)} refunds "
                         f"for {p.payout_id}")  # fmt: skip
    found += _ledger(app, tenant, batch)
    unsent = [m for state in (MessageState.pending, MessageState.dead)
              for m in app.outbox.messages(tenant, state) if batch in m.message_id]  # fmt: skip
    if unsent:
        found.append(f"{tenant}: messages left unsent: {[m.message_id for m in unsent]}")
    return found


_SQL = {
    "refund entries per payout": "SELECT ref, COUNT(*) FROM entries WHERE tenant_id = :t "
    "AND kind = 'refund' AND ref LIKE :b GROUP BY ref",
    "unbalanced entries": "SELECT entry_id FROM lines WHERE tenant_id = :t "
    "GROUP BY entry_id, commodity HAVING SUM(amount) <> 0",
    "payments refunded": "SELECT payment_id, refunded_minor, amount_minor FROM payments "
    "WHERE tenant_id = :t AND payment_id LIKE :p",
}


def _ledger(app: App, tenant: str, batch: str) -> list[str]:
    args = {"t": tenant, "b": f"po-{batch}%", "p": f"pay-{batch}%"}
    with app.db.connect() as conn:
        got: dict[str, list[Any]] = {
            k: [tuple(r) for r in conn.execute(text(sql), args)] for k, sql in _SQL.items()
        }
    found = []
    per_payout = dict(got["refund entries per payout"])
    if sorted(per_payout.values()) != [1] * len(PAYOUTS):
        found.append(f"{tenant}: refund entries per payout {per_payout}")
    if got["unbalanced entries"]:
        found.append(f"{tenant}: unbalanced entries {got['unbalanced entries']}")
    for payment_id, refunded, amount in got["payments refunded"]:
        if refunded != amount:
            found.append(f"{tenant}: payment {payment_id} refunded {refunded} of {amount}")
    return found


def sandbox_at(tmp: Path) -> SandboxGateway:
    return SandboxGateway(tmp / "crash-gateway.sqlite")
