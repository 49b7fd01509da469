"""Single-entry postings per second (a payment, a refund) with durable commits.

Each posting is one command through the service: one transaction that claims its
idempotency key, locks the rows it needs, posts one balanced entry, updates the projections
and commits durably (SQLite WAL + synchronous=FULL; PostgreSQL synchronous_commit=on).
Sequential (one client) on both stores; on PostgreSQL also 8 concurrent clients, each with
its own connection, on distinct customers (the realistic case: many customers at once).

    .venv/bin/python bench/ledger_postings.py [--n 2000] [--store both]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from ledger_ingest import drop_pg, open_tenant, pg_database
from refundable.bootstrap import App, bootstrap
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.policy.requests import parse_request
from refundable.service import commands as c

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def timed(n: int, job: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        job(i)
    return n / (time.perf_counter() - start)


def payment(app: App, tenant: str, i: int, prefix: str = "p") -> object:
    return app.ledger.handle(
        c.RecordPayment(
            tenant,
            f"{prefix}{i}",
            f"{prefix}{i}",
            f"C{i % 50}",
            Money.of("100.00", "ZAR"),
            Method.card,
            "stripe",
            T0,
        )
    )


def decide(app: App, tenant: str, i: int) -> object:
    """An approved refund of 40.00 for the payer of p<i> (Conek 2.2, duplicate charge)."""
    request = parse_request(
        {
            "policy": "conek",
            "requested_at": "2026-01-02T10:00:00+02:00",
            "reason": "duplicate_charge",
            "charge": {
                "kind": "subscription", "amount": "40.00", "currency": "ZAR",
                "charged_at": "2026-01-01T10:00:00+02:00",
            },
        }
    )  # fmt: skip
    return app.ledger.handle(c.DecideRefund(tenant, f"d{i}", f"d{i}", f"C{i % 50}", request))


def refund(app: App, tenant: str, i: int) -> object:
    return app.ledger.handle(c.PayRefund(tenant, f"r{i}", f"r{i}", f"p{i}", f"d{i}", T0))


def concurrent(app: App, tenant: str, n: int, clients: int) -> float:
    per = n // clients

    def worker(k: int) -> None:
        for i in range(per):
            app.ledger.handle(
                c.RecordPayment(
                    tenant,
                    f"q{k}-{i}",
                    f"q{k}-{i}",
                    f"K{k}",
                    Money.of("1.00", "ZAR"),
                    Method.card,
                    "stripe",
                    T0,
                )
            )

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return per * clients / (time.perf_counter() - start)


def run(name: str, url: str, n: int, clients: int) -> None:
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    tenant = f"b{uuid.uuid4().hex[:8]}"
    open_tenant(app, tenant)
    pay_rate = timed(n, lambda i: payment(app, tenant, i))
    for i in range(n):  # decisions first: the refund rate is the posting alone
        decide(app, tenant, i)
    refund_rate = timed(n, lambda i: refund(app, tenant, i))
    line = f"{name:<10} payments {pay_rate:>8,.0f}/s   refunds {refund_rate:>8,.0f}/s   (n={n:,})"
    if clients > 1:
        line += (
            f"   payments with {clients} concurrent clients "
            f"{concurrent(app, tenant, n, clients):>8,.0f}/s"
        )
    print(line)
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args.n, 1)
    if args.store in ("postgresql", "both"):
        name, url = pg_database()
        try:
            run("postgresql", url, args.n, 8)
        finally:
            drop_pg(name)


if __name__ == "__main__":
    main()
