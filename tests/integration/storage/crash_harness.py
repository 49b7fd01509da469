"""Kill -9 trials: a process posting a fixed workload is SIGKILLed at a random moment or at
a chosen step (just before or just after a commit, or during the first migration); then the
workload is retried to the end and the store is checked.

What must hold after every trial (issue 8): every entry balanced; every projection equal to
the journal (account balances, payment counters); every command applied exactly once (the
same entries as a run that never crashed, one idempotency row per command); the final balances
equal to the uncrashed run's. Used by ``test_crash.py`` (a CI-sized sample) and by
``bench/crash_trials.py`` (the long run).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from refundable.bootstrap import App
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.service import commands as c

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
FORK = multiprocessing.get_context("fork")
Step = Callable[[str, dict[str, Any]], Any]


def _z(text: str) -> Money:
    return Money.of(text, "ZAR")


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def workload() -> list[tuple[str, Step]]:
    """The commands of one trial, in order: (idempotency key, build(tenant, receipts)).
    Refunds, fees and credits follow a decision of the tenant's policy (``fakes``)."""
    from fakes import acme_policy_text, credit_due, duplicate_charge, fee_due

    def decide(key: str, cid: str, request: Any) -> Step:
        return lambda t, r: c.DecideRefund(t, f"dec-{key}", key, cid, request)

    return [
        ("publish", lambda t, r: c.PublishPolicy(t, "publish", acme_policy_text(), name="Acme")),
        ("reg-1", lambda t, r: c.RegisterCustomer(t, "reg-1", "C1")),
        ("top-1", lambda t, r: c.TopUpWallet(t, "top-1", "p1", "C1", _z("100"), Method.eft,
                                            "bank", T0)),
        ("chg-1", lambda t, r: c.RecordCharge(t, "chg-1", "inv-1", "C1", _z("80"), T0)),
        ("pay-1", lambda t, r: c.RecordPayment(t, "pay-1", "p2", "C1", _z("80"), Method.card,
                                              "stripe", T0)),
        ("dec-d1", decide("d1", "C1", duplicate_charge("30.00"))),
        ("rf-1", lambda t, r: c.PayRefund(t, "rf-1", "r1", "p2", "d1", _at(1))),
        ("dec-d2", decide("d2", "C1", fee_due("30.00"))),
        ("fee-1", lambda t, r: c.ChargeFee(t, "fee-1", "f1", "C1", "d2", _at(1))),
        ("dec-d3", decide("d3", "C1", credit_due("20.00"))),
        ("gr-1", lambda t, r: c.GrantAccountCredit(t, "gr-1", "g1", "C1", "d3", _at(2))),
        ("rev-1", lambda t, r: c.ReverseEntry(t, "rev-1", r["gr-1"].entry_ids[0], _at(3))),
        ("cb-1", lambda t, r: c.RecordChargeback(t, "cb-1", "cbk1", "p2", _z("50"), _at(4))),
        ("rel-1", lambda t, r: c.ReleaseHold(t, "rel-1", "hold-cbk1", _at(5),
                                            c.HoldResolution.won)),
    ]  # fmt: skip


def run_workload(app: App, tenant: str) -> None:
    """Post the whole workload (a retry replays what was already committed)."""
    receipts: dict[str, Any] = {}
    for key, build in workload():
        receipts[key] = app.ledger.handle(build(tenant, receipts))


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _child_posts(app: App, tenant: str, kill_at: tuple[str, int] | None) -> None:
    """In the forked child: post the workload with the parent's wiring (warm caches, a new
    connection pool); SIGKILL ourselves at ``kill_at`` (("before" | "after", n): around the
    n-th commit) if given."""
    from refundable.adapters.db.uow import SqlUnitOfWork

    app.db.dispose(close=False)  # the parent's connections stay the parent's
    if kill_at is not None:
        original = SqlUnitOfWork.commit
        commits = iter(range(10**6))

        def commit(self: SqlUnitOfWork) -> None:
            n = next(commits)
            if kill_at == ("before", n):
                _die()
            original(self)
            if kill_at == ("after", n):
                _die()

        SqlUnitOfWork.commit = commit  # type: ignore[method-assign]
    run_workload(app, tenant)
    os._exit(0)


def _child_migrates(url: str, before_commit: bool) -> None:
    """In the forked child: migrate a fresh database; with ``before_commit``, SIGKILL ourselves
    once every revision has run but before their transaction commits."""
    from alembic import command

    from refundable.adapters.db.engine import make_engine, migrate

    if before_commit:
        upgrade = command.upgrade

        def upgrade_then_die(*args: Any, **kw: Any) -> None:
            upgrade(*args, **kw)
            _die()

        command.upgrade = upgrade_then_die
    migrate(make_engine(url))
    os._exit(0)


def _run_child(target: Callable[..., None], args: tuple[Any, ...], kill_after: float | None) -> int:
    """Fork, let the child run (SIGKILL it after ``kill_after`` seconds if given); its exit
    code (negative: killed by that signal)."""
    proc = FORK.Process(target=target, args=args)
    proc.start()
    if kill_after is not None:
        proc.join(kill_after)
        if proc.exitcode is None:
            os.kill(proc.pid or 0, signal.SIGKILL)
    proc.join(120)
    return proc.exitcode if proc.exitcode is not None else 1


@dataclass
class Tally:
    """What the trials found: kills that landed, and every broken invariant."""

    trials: int = 0
    killed: int = 0
    problems: list[str] = field(default_factory=list)


def state(engine: Engine, tenant: str) -> dict[str, Any]:
    """The tenant's observable state, free of generated ids: balances by account, entries per
    idempotency key, payment counters, returns, holds."""
    q = {
        "balances": "SELECT code, balance FROM accounts WHERE tenant_id = :t",
        "entries_per_key": "SELECT idem_key, count(*) FROM entries WHERE tenant_id = :t "
        "GROUP BY idem_key",
        "keys": "SELECT key, command FROM idempotency WHERE tenant_id = :t",
        "payments": "SELECT payment_id, refunded_minor, charged_back_minor FROM payments "
        "WHERE tenant_id = :t",
        "returns": "SELECT kind, return_id, amount_minor FROM payment_returns WHERE tenant_id = :t",
        "holds": "SELECT hold_id FROM hold_releases WHERE tenant_id = :t",
    }
    from sqlalchemy import text

    with engine.connect() as conn:
        return {
            k: sorted(tuple(r) for r in conn.execute(text(sql), {"t": tenant}))
            for k, sql in q.items()
        }


CHECKS = {
    "unbalanced entry": "SELECT entry_id, commodity FROM lines WHERE tenant_id = :t "
    "GROUP BY entry_id, commodity HAVING SUM(amount) <> 0",
    "balance differs from its lines": "SELECT a.code FROM accounts a WHERE a.tenant_id = :t AND "
    "a.balance <> (SELECT COALESCE(SUM(l.amount), 0) FROM lines l "
    "WHERE l.tenant_id = a.tenant_id AND l.account = a.code)",
    "payment counter differs from its returns": "SELECT p.payment_id FROM payments p "
    "WHERE p.tenant_id = :t AND p.refunded_minor + p.charged_back_minor <> "
    "(SELECT COALESCE(SUM(r.amount_minor), 0) FROM payment_returns r "
    "WHERE r.tenant_id = p.tenant_id AND r.payment_id = p.payment_id)",
    "entry without lines": "SELECT e.entry_id FROM entries e WHERE e.tenant_id = :t AND NOT "
    "EXISTS (SELECT 1 FROM lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.entry_id)",
    "idempotency key without its receipt": "SELECT key FROM idempotency WHERE tenant_id = :t "
    "AND result IS NULL",
}


def check(engine: Engine, tenant: str, expected: dict[str, Any]) -> list[str]:
    """Every broken invariant of ``tenant``, as sentences (empty when all hold)."""
    from sqlalchemy import text

    found = []
    with engine.connect() as conn:
        for what, sql in CHECKS.items():
            rows = conn.execute(text(sql), {"t": tenant}).all()
            if rows:
                found.append(f"{tenant}: {what}: {rows[:3]}")
    got = state(engine, tenant)
    for part, want in expected.items():
        if got[part] != want:
            found.append(f"{tenant}: {part} differs from the uncrashed run: {got[part]} != {want}")
    return found


def reference(app: App) -> tuple[dict[str, Any], float]:
    """The uncrashed run's state (tenant-independent) and how long posting it takes once warm
    (the budget of the random kills, so most of them land mid-workload)."""
    run_workload(app, f"warm{uuid.uuid4().hex[:12]}")  # compiles the policy, warms caches
    tenant = f"ref{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    run_workload(app, tenant)
    return state(app.db, tenant), time.perf_counter() - started


def trial(app: App, expected: dict[str, Any], tally: Tally, kill: tuple[str, int] | float) -> None:
    """One trial on a new tenant: a forked process posts with a kill (at a step, or after a
    delay in seconds); then this process retries the workload to the end (as a restarted
    worker would) and checks the store."""
    tenant = f"k{uuid.uuid4().hex[:15]}"
    if isinstance(kill, tuple):
        code = _run_child(_child_posts, (app, tenant, kill), None)
    else:
        code = _run_child(_child_posts, (app, tenant, None), kill)
    tally.trials += 1
    tally.killed += code == -signal.SIGKILL
    if code not in (0, -signal.SIGKILL):
        tally.problems.append(f"{tenant}: the posting child failed with exit code {code}")
    try:
        run_workload(app, tenant)
    except Exception as err:  # reported as a problem of the trial
        tally.problems.append(f"{tenant}: the retry failed: {err!r}")
    tally.problems += check(app.db, tenant, expected)


def step_kills() -> list[tuple[str, int]]:
    """Every step of the workload: just before and just after each commit."""
    return [(when, n) for n in range(len(workload())) for when in ("before", "after")]


def migration_trial(fresh_url: str, tally: Tally, kill: str | float) -> None:
    """Kill the first migration of a fresh database (``"before_commit"``: after every revision
    ran, before the commit; a number: after that many seconds), then migrate again (it must
    succeed) and post the workload on it."""
    from refundable.adapters.db.engine import head_revision, make_engine, migrate, schema_revision
    from refundable.bootstrap import bootstrap

    if isinstance(kill, str):
        code = _run_child(_child_migrates, (fresh_url, True), None)
    else:
        code = _run_child(_child_migrates, (fresh_url, False), kill)
    tally.trials += 1
    tally.killed += code == -signal.SIGKILL
    engine = make_engine(fresh_url)
    try:
        migrate(engine)
        if schema_revision(engine) != head_revision():
            tally.problems.append(f"{fresh_url}: schema not at head after the re-run")
        fresh = bootstrap(fresh_url, CLOCK, apply_migrations=False)
        try:
            run_workload(fresh, "after-migration")
        finally:
            fresh.close()
    except Exception as err:  # reported as a problem of the trial
        tally.problems.append(f"{fresh_url}: after a killed migration: {err!r}")
    finally:
        engine.dispose()


def random_delay(rng: random.Random, budget: float) -> float:
    return rng.uniform(0, budget)
