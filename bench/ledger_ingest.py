"""Usage ingestion throughput, with durable commits, on SQLite and PostgreSQL.

Method (docs/benchmarks.md, "Ledger"): one tenant, ``CUSTOMERS`` customers with three credit
lots each (a promotion and two paid lots with different expiries, so FEFO really chooses).
Events (own ids, 1 credit each, customers interleaved) are pre-built, then ingested through
the service (``IngestUsage``: dedupe by event id, lock lots, allocate FEFO in memory, one
journal entry per customer per batch, one event row and one allocation row per event), one
transaction and one durable commit per batch. Then the same rows are bulk-inserted bare (same
tables, same driver path, same batch size and commits, no logic) under another tenant, and
ingestion is reported as a fraction of that; the bare insert is handed its allocations in the
form the service makes them (``Allocations``), built before its clock starts. Finally one batch
is re-sent (all duplicates). Each phase reports wall time and, beside it, this process's CPU
time per event and the load average: on a shared machine the CPU ratio is the steadier figure.

    .venv/bin/python bench/ledger_ingest.py [--events 500000] [--batch 50000] [--store sqlite]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from refundable.adapters.db.fastpath import insert_usage
from refundable.bootstrap import App, bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.ledger.credit_ops import Allocations
from refundable.ledger.lots import LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = 100
PG_URL = os.environ.get(
    "REFUNDABLE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def open_tenant(app: App, tenant: str) -> None:
    """A tenant on the shipped Conek policy (credits valid 30 days)."""
    text = (shipped_policies_dir() / "conek.yaml").read_text()
    app.ledger.handle(c.PublishPolicy(tenant, "bench", text, name="Bench"))


def setup(app: App, tenant: str, units_per_customer: int) -> None:
    open_tenant(app, tenant)
    for i in range(CUSTOMERS):
        cust = f"C{i}"
        for lot_id, units, source, price in (
            (f"{cust}-promo", 1000, LotSource.promotion, "0"),
            (f"{cust}-paid-a", units_per_customer, LotSource.purchase, "500.00"),
            (f"{cust}-paid-b", units_per_customer, LotSource.purchase, "500.00"),
        ):
            app.ledger.handle(
                c.BuyCreditLot(
                    tenant, f"lot-{lot_id}", lot_id, cust, units, Money.of(price, "ZAR"),
                    source, T0,
                )
            )  # fmt: skip


def make_batches(total: int, batch: int) -> list[tuple[UsageEvent, ...]]:
    at = T0 + timedelta(hours=1)
    events = [UsageEvent(f"evt-{i:09d}", f"C{i % CUSTOMERS}", 1, at) for i in range(total)]
    return [tuple(events[i : i + batch]) for i in range(0, total, batch)]


def clocks() -> tuple[float, float]:
    """(wall, this process's CPU): on a shared machine the CPU time of a phase varies far less
    than its wall time (it leaves out the waits for a core), so both are reported. On SQLite
    the database runs in this process; on PostgreSQL the server's share is not included."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


def ingest(app: App, tenant: str, batches: list[tuple[UsageEvent, ...]]) -> tuple[float, float]:
    start = clocks()
    for b in batches:
        receipt = app.ledger.handle(c.IngestUsage(tenant, b, T0 + timedelta(hours=1)))
        assert receipt.details["accepted"] == str(len(b)), receipt.details
    return since(start)


def bare(app: App, tenant: str, batches: list[tuple[UsageEvent, ...]]) -> tuple[float, float]:
    """The same rows through the same driver path, no dedupe, no allocation, no journal."""
    prepared = []
    for b in batches:
        allocations = Allocations((e.event_id, f"{e.customer_id}-paid-b", 1, 25) for e in b)
        prepared.append((b, {e.customer_id: "bare" for e in b}, allocations))
    start = clocks()
    for b, entry_of, allocations in prepared:
        with app.db.begin() as conn:
            insert_usage(conn, tenant, b, entry_of, allocations)
    return since(start)


def run(name: str, url: str, total: int, batch: int) -> dict[str, float]:
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    tenant, bare_tenant = f"b{uuid.uuid4().hex[:8]}", f"x{uuid.uuid4().hex[:8]}"
    setup(app, tenant, total)
    batches = make_batches(total, batch)
    load_before = os.getloadavg()[0]
    t_ingest, cpu_ingest = ingest(app, tenant, batches)
    start = time.perf_counter()
    dup = app.ledger.handle(c.IngestUsage(tenant, batches[0], T0 + timedelta(hours=1)))
    t_dup = time.perf_counter() - start
    assert dup.details["duplicates"] == str(len(batches[0]))
    t_bare, cpu_bare = bare(app, bare_tenant, batches)
    app.db.dispose()
    result = {
        "ingest_eps": total / t_ingest,
        "bare_eps": total / t_bare,
        "dup_eps": len(batches[0]) / t_dup,
        "ingest_cpu_us": cpu_ingest / total * 1e6,
        "bare_cpu_us": cpu_bare / total * 1e6,
    }
    result["fraction"] = result["ingest_eps"] / result["bare_eps"]
    result["cpu_fraction"] = result["bare_cpu_us"] / result["ingest_cpu_us"]
    print(
        f"{name:<10} ingest {result['ingest_eps']:>10,.0f} events/s   bare insert "
        f"{result['bare_eps']:>10,.0f} events/s   ingest/bare {result['fraction']:.0%}   "
        f"re-sent batch {result['dup_eps']:>10,.0f} events/s   "
        f"({total:,} events, batches of {batch:,})\n"
        f"{'':<10} CPU of this process per event: ingest {result['ingest_cpu_us']:.2f} us, "
        f"bare insert {result['bare_cpu_us']:.2f} us, bare/ingest {result['cpu_fraction']:.0%}"
        f"{' (client only)' if name == 'postgresql' else ''}   "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    return result


def pg_database() -> tuple[str, str]:
    name = f"refundable_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        sc = conn.execute(text("SHOW synchronous_commit")).scalar()
        fs = conn.execute(text("SHOW fsync")).scalar()
    admin.dispose()
    print(f"postgresql: synchronous_commit={sc} fsync={fs}")
    return name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            print("sqlite: journal_mode=WAL synchronous=FULL, file in", tmp)
            run("sqlite", f"sqlite:///{tmp}/bench.db", args.events, args.batch)
    if args.store in ("postgresql", "both"):
        name, url = pg_database()
        try:
            run("postgresql", url, args.events, args.batch)
        finally:
            drop_pg(name)


if __name__ == "__main__":
    main()
