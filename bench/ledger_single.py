"""Single postings through the service next to a bare durable insert + commit of the same rows.

Issue 7's limit: a posting (payment, refund, fee, account credit) costs at least the rows it
writes and one durable commit. This benchmark measures both in one run on the same database:

* **service**: ``n`` commands of one kind through the bus (claim the idempotency and business
  keys, load what the handler needs, the policy in force, floors, one entry, projections, one
  receipt, one durable commit), one client, sequential;
* **bare**: the same rows (idempotency rows with their receipt, the entry, its two lines, the
  payment or return row) written with the raw driver, one transaction and one durable commit per
  posting, under another tenant; the two balance updates are made by the database's trigger on
  ``lines`` (migration 0007), as for the service.

Refunds, fees and credits each follow a decision recorded beforehand (not timed). The policy is
the test tenant's (``tests/fakes.py``: Conek plus a credit and a fee rule). SQLite: WAL,
synchronous=FULL; PostgreSQL: synchronous_commit=on.

    .venv/bin/python bench/ledger_single.py [--n 1000] [--store both]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import acme_policy_text, credit_due, duplicate_charge, fee_due
from ledger_ingest import drop_pg, pg_database
from refundable.adapters.db.rows import to_us
from refundable.bootstrap import App, bootstrap
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.service import commands as c

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
ZAR = "ZAR"
KINDS = ("payment", "refund", "fee", "credit")


def zar(text: str) -> Money:
    return Money.of(text, ZAR)


def prepare(app: App, tenant: str, n: int) -> None:
    """Customers' invoices and wallets, and the decisions refunds, fees and credits follow."""
    h = app.ledger.handle
    h(c.PublishPolicy(tenant, "v1", acme_policy_text(), name="Bench"))
    for k in range(50):
        h(c.TopUpWallet(tenant, f"w{k}", f"w{k}", f"C{k}", zar("100000"), Method.eft, "bank", T0))
    for i in range(n):
        cust = f"C{i % 50}"
        h(c.DecideRefund(tenant, f"dr{i}", f"dr{i}", cust, duplicate_charge("40.00")))
        h(c.DecideRefund(tenant, f"df{i}", f"df{i}", cust, fee_due("2.00")))
        h(c.DecideRefund(tenant, f"dc{i}", f"dc{i}", cust, credit_due("5.00")))


def service_command(kind: str, tenant: str, i: int) -> c.Command:
    cust = f"C{i % 50}"
    if kind == "payment":
        return c.RecordPayment(tenant, f"p{i}", f"p{i}", cust, zar("100.00"), Method.card,
                               "stripe", T0)  # fmt: skip
    if kind == "refund":
        return c.PayRefund(tenant, f"r{i}", f"r{i}", f"p{i}", f"dr{i}", T0)
    if kind == "fee":
        return c.ChargeFee(tenant, f"f{i}", f"f{i}", cust, f"df{i}", T0)
    return c.GrantAccountCredit(tenant, f"g{i}", f"g{i}", cust, f"dc{i}", T0)


def timed(n: int, job: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        job(i)
    return n / (time.perf_counter() - start)


# --- the bare loop: the same rows, raw driver, one durable commit each -------------------------

ENTRY = (
    "INSERT INTO entries (tenant_id, entry_id, kind, effective_us, recorded_us, memo, ref, "
    "reverses, idem_key, meta) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, %s, NULL)"
)
LINE = ("INSERT INTO lines (tenant_id, entry_id, line_no, account, commodity, amount, lot_id, "
        "effective_us) VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)")  # fmt: skip
IDEM = ("INSERT INTO idempotency (tenant_id, key, command, payload_hash, result, created_us) "
        "VALUES (%s, %s, %s, %s, %s, %s)")  # fmt: skip
PAY = ("INSERT INTO payments (tenant_id, payment_id, customer_id, amount_minor, currency, method, "
       "provider, source_account, funded_account, entry_id, paid_us, refunded_minor, "
       "charged_back_minor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, 0)")  # fmt: skip
RET = (
    "INSERT INTO payment_returns (tenant_id, kind, return_id, payment_id, amount_minor, "
    "currency, entry_id, at_us, reason) VALUES (%s, 'refund', %s, %s, %s, %s, %s, %s, '')"
)
PAYUPD = "UPDATE payments SET refunded_minor = %s WHERE tenant_id = %s AND payment_id = %s"

ACCOUNTS = {
    "payment": ("clearing/stripe/ZAR", "receivable/{c}/ZAR", 10000),
    "refund": ("refunds/ZAR", "clearing/stripe/ZAR", 4000),
    "fee": ("wallet/{c}/ZAR", "fee_income/ZAR", 100),
    "credit": ("credit_grants/ZAR", "account_credit/{c}/ZAR", 500),
}
KEYS = {"payment": 1, "refund": 2, "fee": 2, "credit": 2}  # business keys besides the key


def bare_statements(kind: str, tenant: str, i: int) -> list[tuple[str, tuple[Any, ...]]]:
    cust, eid, us = f"C{i % 50}", f"{kind}-{i:08d}-{uuid.uuid4().hex[:20]}", to_us(T0)
    debit, credit, amount = ACCOUNTS[kind]
    debit, credit = debit.format(c=cust), credit.format(c=cust)
    receipt = json.dumps({"command": kind, "entries": [eid], "ref": f"{kind}{i}"})
    out: list[tuple[str, tuple[Any, ...]]] = [
        (IDEM, (tenant, f"{kind}{i}", kind, "0" * 64, receipt, us)),
        *((IDEM, (tenant, f"#{kind}{n}:{i}", kind, "0" * 64, receipt, us))
          for n in range(KEYS[kind])),
        (ENTRY, (tenant, eid, kind, us, us, f"{kind} {i}", f"{kind}{i}", f"{kind}{i}")),
        (LINE, (tenant, eid, 0, debit, ZAR, amount, us)),
        (LINE, (tenant, eid, 1, credit, ZAR, -amount, us)),
    ]  # fmt: skip
    if kind == "payment":
        out.append((PAY, (tenant, f"p{i}", cust, amount, ZAR, "card", "stripe",
                          "clearing/stripe/ZAR", f"receivable/{cust}/ZAR", eid, us)))  # fmt: skip
    if kind == "refund":
        out.append((RET, (tenant, f"r{i}", f"p{i}", amount, ZAR, eid, us)))
        out.append((PAYUPD, (amount, tenant, f"p{i}")))
    return out


def bare(app: App, tenant: str, kind: str, n: int) -> float:
    raw = app.db.raw_connection()
    sqlite = app.db.dialect.name == "sqlite"
    prepared = [bare_statements(kind, tenant, i) for i in range(n)]
    if sqlite:
        prepared = [[(sql.replace("%s", "?"), args) for sql, args in p] for p in prepared]
    cur = raw.cursor()
    start = time.perf_counter()
    for statements in prepared:
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        for sql, args in statements:
            cur.execute(sql, args)
        raw.commit()
    rate = n / (time.perf_counter() - start)
    raw.close()
    return rate


def bare_setup(app: App, tenant: str, n: int) -> None:
    """Account rows and the payments the bare refunds update (not timed)."""
    codes = {"clearing/stripe/ZAR", "refunds/ZAR", "fee_income/ZAR", "credit_grants/ZAR"}
    for k in range(50):
        codes |= {f"receivable/C{k}/ZAR", f"wallet/C{k}/ZAR", f"account_credit/C{k}/ZAR"}
    with app.db.begin() as conn:
        for code in sorted(codes):
            kind, owner = code.split("/")[0], code.split("/")[1] if code.count("/") == 2 else None
            conn.exec_driver_sql(
                "INSERT INTO accounts (tenant_id, code, kind, commodity, owner, balance) "
                "VALUES (%(t)s, %(c)s, %(k)s, 'ZAR', %(o)s, %(b)s)"
                if app.db.dialect.name != "sqlite"
                else "INSERT INTO accounts (tenant_id, code, kind, commodity, owner, balance) "
                "VALUES (:t, :c, :k, 'ZAR', :o, :b)",
                {"t": tenant, "c": code, "k": kind, "o": owner,
                 "b": -10**12 if kind == "wallet" else 0},
            )  # fmt: skip


def run(name: str, url: str, n: int) -> list[tuple[str, float, float]]:
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    tenant, bare_tenant = f"b{uuid.uuid4().hex[:8]}", f"x{uuid.uuid4().hex[:8]}"
    prepare(app, tenant, n)
    bare_setup(app, bare_tenant, n)
    results = []
    for kind in KINDS:
        service = timed(n, lambda i, k=kind: app.ledger.handle(service_command(k, tenant, i)))  # type: ignore[misc]
        limit = bare(app, bare_tenant, kind, n)
        results.append((kind, service, limit))
        print(f"{name:<10} {kind:<8} service {service:>7,.0f}/s   bare insert+commit "
              f"{limit:>7,.0f}/s   service/bare {service / limit:>4.0%}   (n={n:,})")  # fmt: skip
    app.close()
    return results


def on_stores(run: Callable[[str, str, int], object], default_n: int) -> None:
    """Parse ``--n`` and ``--store`` and call ``run(store, url, n)`` on a fresh SQLite file
    and/or a fresh PostgreSQL database (dropped afterwards): the shared main of the benches
    that compare a service path with the bare insert."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=default_n)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args.n)
    if args.store in ("postgresql", "both"):
        name, url = pg_database()
        try:
            run("postgresql", url, args.n)
        finally:
            drop_pg(name)


def main() -> None:
    on_stores(run, 1000)


if __name__ == "__main__":
    main()
