"""The long kill -9 run (issue 8): at least 1,000 trials on SQLite and PostgreSQL.

Each trial forks a process that posts a fixed workload of 15 commands (a policy published, a
payment and a top-up, a refund, a fee and an account credit each after its policy decision, the
credit's reversal, a chargeback with its hold and release) and SIGKILLs it: at a random moment
within the time an uncrashed run takes, or at a chosen step (just before or just after each
commit), or, every 25th trial, during the first migration of a fresh database. The workload is
then retried to the end, and the store checked: every entry balanced, account balances and
payment counters equal to the journal, every command applied exactly once, the final state
equal to the uncrashed run's.
The harness is ``tests/integration/storage/crash_harness.py`` (the suite runs a CI-sized
sample of it). Run:

    .venv/bin/python bench/crash_trials.py --trials 1000

and record the printed table in docs/benchmarks.md ("Crash trials").
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

TESTS = Path(__file__).parent.parent / "tests"
sys.path[:0] = [str(TESTS / "integration" / "storage"), str(TESTS)]  # the harness and its fakes

from crash_harness import CLOCK, Tally, migration_trial, reference, step_kills, trial  # noqa: E402

from refundable.bootstrap import bootstrap  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def new_pg_database(admin_url: str, prefix: str = "refundable_crash") -> str:
    """A fresh, empty PostgreSQL database for one run (dropped by ``drop_pg_database``)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def _fresh(store: str, admin_url: str, workdir: Path) -> str:
    if store == "sqlite":
        return f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}"
    return new_pg_database(admin_url)


def run_store(
    store: str, trials: int, seed: int, admin_url: str, workdir: Path
) -> dict[str, object]:
    url = _fresh(store, admin_url, workdir)
    app = bootstrap(url, CLOCK, apply_migrations=True)
    expected, took = reference(app)
    rng, steps, tally = random.Random(seed), step_kills(), Tally()
    kinds = {"step": 0, "random": 0, "migration": 0}
    started = time.perf_counter()
    for i in range(trials):
        if i % 25 == 24:
            fresh = _fresh(store, admin_url, workdir)
            kill: str | float = "before_commit" if i % 50 == 49 else rng.uniform(0, 1.5)
            migration_trial(fresh, tally, kill)
            if store == "postgresql":
                drop_pg_database(admin_url, fresh)
            kinds["migration"] += 1
        elif i % 2 == 0:
            trial(app, expected, tally, steps[(i // 2) % len(steps)])
            kinds["step"] += 1
        else:
            trial(app, expected, tally, rng.uniform(0, took))
            kinds["random"] += 1
        if (i + 1) % 100 == 0:
            print(f"  {store}: {i + 1}/{trials} trials, {len(tally.problems)} problems", flush=True)
    elapsed = time.perf_counter() - started
    app.close()
    if store == "postgresql":
        drop_pg_database(admin_url, url)
    return {
        "store": store,
        "trials": tally.trials,
        "killed": tally.killed,
        **kinds,
        "problems": tally.problems,
        "seconds": elapsed,
        "uncrashed_run_s": took,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials per store")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for store in args.stores.split(","):
            results.append(run_store(store, args.trials, args.seed, args.pg_admin_url, Path(tmp)))
    print("| store | trials | SIGKILLs landed | step / random / migration | problems | time (s) |")
    print("|---|---:|---:|---|---:|---:|")
    for r in results:
        print(
            f"| {r['store']} | {r['trials']} | {r['killed']} | {r['step']} / {r['random']} / "
            f"{r['migration']} | {len(r['problems'])} | {r['seconds']:.0f} |"  # type: ignore[arg-type]
        )
    for r in results:
        for problem in r["problems"][:20]:  # type: ignore[attr-defined]
            print("PROBLEM", r["store"], problem)
    if any(r["problems"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
