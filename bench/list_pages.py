"""One page of a growing list (ADR 0078): what ``GET /v1/reports/journal`` and ``GET /v1/cases``
read per page now, against what they read before (the whole list), beside a bare SELECT of as
many rows on the same SQLite file.

It seeds one tenant with ``--entries`` charges (one journal entry each, spread over time) and
``--cases`` cases, then times, best of five: the whole journal (what every page read before),
the first page of 100 and a page of 100 from the middle; the tenant's cases up to 100,000 (what
every page of cases read before) and a page of 100 from the middle; and the bare SELECT.

    .venv/bin/python bench/list_pages.py --entries 20000 --cases 2000
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]


def best(run: Callable[[], Any], times: int = 5) -> float:
    """The fastest of ``times`` runs, in milliseconds."""
    found = []
    for _ in range(times):
        began = time.perf_counter()
        run()
        found.append(time.perf_counter() - began)
    return min(found) * 1000


def print_table(rows: list[tuple[str, float]]) -> None:
    """The timings as a Markdown table (docs/benchmarks.md)."""
    print("| read | ms |\n|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:,.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=2_000)
    args = parser.parse_args()

    from fakes import open_tenant
    from refundable.bootstrap import bootstrap
    from refundable.cases.model import Subject
    from refundable.core.money import Money
    from refundable.core.time import UTC, FixedClock
    from refundable.policy.facts import Reason
    from refundable.service import commands as c

    t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    folder = tempfile.mkdtemp()
    path = f"{folder}/pages.db"
    app = bootstrap(f"sqlite:///{path}", FixedClock(t0))
    open_tenant(app, "t1")
    ten = Money.of("10", "ZAR")
    for n in range(args.entries):
        at = t0 + timedelta(minutes=n)
        app.ledger.handle(c.RecordCharge("t1", f"ch{n}", f"i{n}", f"C{n % 50}", ten, at))
    answers = {"explanation": "charged twice", "account": "a", "transaction": "t"}
    for n in range(args.cases):
        app.bus.handle(c.OpenCase("t1", f"k{n}", f"case-{n:06d}", f"A{n}", Subject.account,
                                  f"A{n}", Reason.duplicate_charge, t0, "customer:x",
                                  answers))  # fmt: skip
    queries, cases = app.queries, app.cases_read
    assert cases is not None
    whole = queries.journal("t1")
    middle = whole[len(whole) // 2].entry_id
    case_middle = f"case-{args.cases // 2:06d}"

    def bare(table: str) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(f"SELECT * FROM {table} LIMIT 100").fetchall()

    rows = [
        ("journal, whole (every page before)", best(lambda: queries.journal("t1"))),
        ("journal, first page of 100", best(lambda: queries.journal_page("t1", None, 100))),
        ("journal, page of 100 mid-way", best(lambda: queries.journal_page("t1", middle, 100))),
        ("bare SELECT of 100 entries", best(lambda: bare("entries"))),
        (
            "cases, up to 100,000 (every page before)",
            best(lambda: cases.cases("t1", limit=100_000)),
        ),
        (
            "cases, page of 100 mid-way",
            best(lambda: cases.page("t1", after=case_middle, limit=100)),
        ),
        ("bare SELECT of 100 cases", best(lambda: bare("cases"))),
    ]
    print(f"{len(whole)} journal entries, {args.cases} cases, SQLite, best of 5\n")
    print_table(rows)


if __name__ == "__main__":
    main()
