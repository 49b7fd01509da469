"""The open-case gauges of ``/metrics`` (ADR 0080): one aggregate over the cases' clock columns
now, against what each refresh did before (read every open case's JSON body and look at its
clocks), beside a bare ``SELECT count(*)`` of the open cases on the same SQLite file.

It opens ``--cases`` cases for one tenant (each waits for the charge's date, so each stays open
with its stage clock), then times each read, best of five.

    .venv/bin/python bench/case_gauges.py --cases 5000
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT)]

from bench.list_pages import best, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5_000)
    args = parser.parse_args()

    from case_counts import by_the_clocks
    from fakes import open_tenant
    from refundable.adapters.db.ops_queries import case_deadlines
    from refundable.bootstrap import bootstrap
    from refundable.cases.model import Subject
    from refundable.core.time import UTC, FixedClock
    from refundable.policy.facts import Reason
    from refundable.service import commands as c

    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    path = f"{tempfile.mkdtemp()}/gauges.db"
    app = bootstrap(f"sqlite:///{path}", FixedClock(t0))
    open_tenant(app, "t1")
    answers = {"explanation": "charged twice", "account": "a", "transaction": "t"}
    for n in range(args.cases):
        at = t0 + timedelta(minutes=n)
        app.bus.handle(c.OpenCase("t1", f"k{n}", f"case-{n:06d}", f"A{n}", Subject.account,
                                  f"A{n}", Reason.duplicate_charge, at, "customer:x",
                                  answers))  # fmt: skip
    engine, reads = app.engine, app.cases_read
    assert engine is not None and reads is not None
    now = t0 + timedelta(days=12)

    def before() -> dict[str, float]:  # the refresh before ADR 0080 (ops_queries, f8e134a)
        return by_the_clocks(engine, reads, now)

    def bare() -> None:
        with sqlite3.connect(path) as conn:
            conn.execute("SELECT count(*) FROM cases WHERE open_key IS NOT NULL").fetchall()

    assert before() == case_deadlines(engine, now), (before(), case_deadlines(engine, now))
    rows = [
        ("every open case's body, clock by clock (before)", best(before)),
        ("one aggregate over the clock columns (now)", best(lambda: case_deadlines(engine, now))),
        ("bare SELECT count(*) of the open cases (new connection)", best(bare)),
    ]
    counted = case_deadlines(engine, now)
    print(f"{args.cases} open cases, SQLite, best of 5; counts {counted}\n")
    print_table(rows)


if __name__ == "__main__":
    main()
