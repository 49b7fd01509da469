"""Reads as history grows: a customer's statement, one account's balance as of an instant, and
a credit lot's history, at 10k, 100k and 1M journal entries over 1,000 customers.

Method: one tenant; entries are bulk-loaded with the raw driver (this measures reads, not
writes): four of five entries are charges (receivable of one customer, revenue), one of five
draws one credit from the customer's lot (credit_lots line with the lot id). Customers are
interleaved, so each customer's lines are spread over the whole history. After each load
step, each read runs ``--reads`` times on random customers through ``SqlLedgerQueries``; the
median and the 95th percentile of wall time are reported in milliseconds, with the median
CPU time of the benchmark process (all of a read on SQLite, the client part on PostgreSQL: on
a loaded machine wall time includes waiting for a core). The hot tenant account
(revenue, one line per charge) is reported separately: its ``balance(as_of)`` grows with the
tenant's history; after each load step the checkpoint job (ADR 0040) runs for it (timed
separately) and the hot read goes through its checkpoints.

    .venv/bin/python bench/ledger_reads.py [--steps 10000,100000,1000000] [--store both]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ledger_ingest import drop_pg, pg_database
from refundable.adapters.db.checkpoints import write_checkpoints
from refundable.adapters.db.rows import to_us
from refundable.bootstrap import App, bootstrap
from refundable.core.limits import STATEMENT_PAGE_LINES
from refundable.core.time import UTC, FixedClock
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = 1000
STEP = timedelta(seconds=30)


def accounts(tenant: str) -> list[tuple[Any, ...]]:
    rows = [(tenant, "revenue/ZAR", "revenue", "ZAR", None, 0),
            (tenant, "credits_consumed/MSGCR", "credits_consumed", "MSGCR", None, 0)]  # fmt: skip
    for k in range(CUSTOMERS):
        rows.append((tenant, f"receivable/C{k}/ZAR", "receivable", "ZAR", f"C{k}", 0))
        rows.append((tenant, f"credit_lots/C{k}/MSGCR", "credit_lots", "MSGCR", f"C{k}", 0))
    return rows


def batch(
    tenant: str, start: int, stop: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    entries, lines = [], []
    for i in range(start, stop):
        k, eid, us = i % CUSTOMERS, f"e{i:09d}", to_us(T0 + STEP * i)
        if i % 5 == 4:
            entries.append((tenant, eid, "usage", us, us, "", f"u{i}", None, None, None))
            lines.append((tenant, eid, 0, "credits_consumed/MSGCR", "MSGCR", 1, None, us))
            lines.append((tenant, eid, 1, f"credit_lots/C{k}/MSGCR", "MSGCR", -1, f"L{k}", us))
        else:
            entries.append((tenant, eid, "charge", us, us, "", f"i{i}", None, None, None))
            lines.append((tenant, eid, 0, f"receivable/C{k}/ZAR", "ZAR", 1000, None, us))
            lines.append((tenant, eid, 1, "revenue/ZAR", "ZAR", -1000, None, us))
    return entries, lines


E_COLS = "tenant_id, entry_id, kind, effective_us, recorded_us, memo, ref, reverses, idem_key, meta"
L_COLS = "tenant_id, entry_id, line_no, account, commodity, amount, lot_id, effective_us"
A_COLS = "tenant_id, code, kind, commodity, owner, balance"


def load(app: App, table: str, cols: str, rows: list[tuple[Any, ...]]) -> None:
    raw = app.db.raw_connection()
    try:
        cur = raw.cursor()
        if app.db.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
            marks = ", ".join("?" * len(rows[0]))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        else:
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def measure(read: Callable[[int], object], reads: int) -> tuple[float, float, float]:
    """Median and p95 wall time, and median CPU time of this process (ms). On a loaded
    machine the wall time includes waiting for a core; the CPU time does not, and on SQLite
    (in-process) it is the whole cost of the read."""
    times, cpu = [], []
    for _ in range(reads):
        k = random.randrange(CUSTOMERS)
        start, start_cpu = time.perf_counter(), time.process_time()
        read(k)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.median(cpu)


def reads_at(app: App, tenant: str, size: int, reads: int) -> None:
    q = app.queries
    mid = T0 + STEP * (size // 2)
    checks: dict[str, Callable[[int], object]] = {
        "statement (whole)": lambda k: q.statement(tenant, f"C{k}"),
        "statement page (newest 200)": lambda k: q.statement(
            tenant, f"C{k}", limit=STATEMENT_PAGE_LINES
        ),
        "balance(as_of) customer": lambda k: q.balance(
            tenant, chart.receivable(f"C{k}", "ZAR"), mid
        ),
        "balance now customer": lambda k: q.balance(tenant, chart.receivable(f"C{k}", "ZAR")),
        "lot history": lambda k: q.lot_history(tenant, f"L{k}"),
        "balance(as_of) revenue (hot)": lambda k: q.balance(
            tenant, chart.tenant_account(Kind.revenue, "ZAR"), mid
        ),
    }  # fmt: skip
    for name, read in checks.items():
        p50, p95, cpu = measure(read, reads if "hot" not in name else max(reads // 10, 3))
        print(f"  {size:>9,} entries  {name:<30} median {p50:8.2f} ms   p95 {p95:8.2f} ms   "
              f"cpu {cpu:7.2f} ms")  # fmt: skip


def run(name: str, url: str, steps: list[int], reads: int) -> None:
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    tenant = f"r{uuid.uuid4().hex[:8]}"
    load(app, "accounts", A_COLS, accounts(tenant))
    done = 0
    print(name)
    for size in steps:
        for start in range(done, size, 100_000):
            entries, lines = batch(tenant, start, min(start + 100_000, size))
            load(app, "entries", E_COLS, entries)
            load(app, "lines", L_COLS, lines)
        done = size
        if app.db.dialect.name == "postgresql":
            # committed: statistics gathered in a rolled-back transaction are thrown away
            with app.db.begin() as conn:
                conn.exec_driver_sql("ANALYZE entries; ANALYZE lines; ANALYZE accounts")
        start = time.perf_counter()
        written = write_checkpoints(app.db, tenant, chart.tenant_account(Kind.revenue, "ZAR").code)
        job_ms = (time.perf_counter() - start) * 1000
        print(f"  {size:>9,} entries  checkpoint job (revenue): {written} rows in {job_ms:.0f} ms")
        reads_at(app, tenant, size, reads)
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="10000,100000,1000000")
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    random.seed(7)
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            run("sqlite", f"sqlite:///{tmp}/reads.db", steps, args.reads)
    if args.store in ("postgresql", "both"):
        db, url = pg_database()
        try:
            run("postgresql", url, steps, args.reads)
        finally:
            drop_pg(db)


if __name__ == "__main__":
    main()
