"""The long kill -9 run of the payout path (issue 10 §4): at least 200 trials per store.

Each trial forks an outbox worker with two approved payouts waiting and SIGKILLs it at the
n-th point of the payout path (every step of a send, just before and just after every
commit), under three gateway conditions (healthy; slow settlement, so the refund is polled;
answers lost after the refund was made); this process then drains as a restarted worker and
checks that each payout was paid exactly once: one refund at the gateway, one refund entry,
the payment's counters equal to it, every message sent. The kill points are walked in order
and again from the start until the condition has its share of the trials.

The harness is ``tests/integration/outbox/payout_crash.py``; the suite runs one pass of every
point on PostgreSQL and 201 trials on SQLite (``test_payout_crash.py``). Run:

    .venv/bin/python bench/payout_crash_trials.py --trials 210 --stores postgresql

and record the printed table in docs/benchmarks.md ("Payout crash trials").
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).parent.parent / "tests"
sys.path[:0] = [str(TESTS / "integration" / "outbox"), str(TESTS)]  # the harness, its fakes

from payout_crash import Tally, count_points, new_tenant, sandbox_at, trial  # noqa: E402

from crash_trials import drop_pg_database, new_pg_database  # noqa: E402
from outbox_kit import PAID_AT, caseless_payouts  # noqa: E402
from refundable.adapters.payments.sandbox import Faults  # noqa: E402
from refundable.bootstrap import bootstrap  # noqa: E402
from refundable.core.time import FixedClock  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONDITIONS = {
    "healthy": Faults(),
    "slow settlement": Faults(slow_polls=1),
    "answers lost": Faults(timeout_after=0.5, seed=3),
}


def run_store(store: str, trials: int, admin_url: str, workdir: Path) -> list[dict[str, object]]:
    url = (
        f"sqlite:///{workdir / 'payouts.db'}"
        if store == "sqlite"
        else new_pg_database(admin_url, "refundable_payout_crash")
    )
    app = bootstrap(url, FixedClock(PAID_AT), apply_migrations=True)
    share = -(-trials // len(CONDITIONS))  # each condition its part, rounded up
    rows = []
    try:
        for name, faults in CONDITIONS.items():
            (workdir / name).mkdir(exist_ok=True)
            gateway, tenant, tally = sandbox_at(workdir / name), new_tenant(app), Tally()
            started, points, passes = time.perf_counter(), 0, 0
            while tally.trials < share:
                points = count_points(app, gateway, tenant, faults)
                passes += 1
                for kill_at in range(1, points + 1):
                    trial(app, gateway, tenant, faults, kill_at, tally)
                    if tally.trials >= share:
                        break
            rows.append({"store": store, "condition": name, "points": points, "passes": passes,
                         "trials": tally.trials, "killed": tally.killed,
                         "problems": tally.problems,
                         "seconds": time.perf_counter() - started})  # fmt: skip
            print(f"  {store} {name}: {tally.trials} trials, {len(tally.problems)} problems",
                  flush=True)  # fmt: skip
    finally:
        app.close()
        if store == "postgresql":
            drop_pg_database(admin_url, url)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=210, help="trials per store")
    parser.add_argument("--stores", default="postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {os.getloadavg()}")  # fmt: skip
    rows: list[dict[str, object]] = []
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None  # SQLite files in memory
    with tempfile.TemporaryDirectory(dir=base) as tmp, caseless_payouts():
        for store in args.stores.split(","):
            rows += run_store(store, args.trials, args.pg_admin_url, Path(tmp))
    print(f"load average after: {os.getloadavg()}")
    print("| store | condition | kill points | passes | trials | SIGKILLs landed | problems "
          "| time (s) |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['store']} | {r['condition']} | {r['points']} | {r['passes']} | "
              f"{r['trials']} | {r['killed']} | {len(r['problems'])} | "  # type: ignore[arg-type]
              f"{r['seconds']:.0f} |")  # fmt: skip
    for r in rows:
        for problem in r["problems"][:20]:  # type: ignore[attr-defined]
            print("PROBLEM", r["store"], problem)
    if any(r["problems"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
