"""Shared vocabulary for the storage tests: a little history on a tenant, raw SQL on both
stores, and a snapshot of a tenant's rows to prove that a refused statement changed nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from fakes import open_tenant, refund
from refundable.billing.plans import Cycle
from refundable.bootstrap import App
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger.lots import LotSource
from refundable.service import commands as c

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# Every table whose rows are history, with its primary key (usage_allocations has none).
APPEND_ONLY_KEYS: dict[str, tuple[str, ...]] = {
    "entries": ("tenant_id", "entry_id"),
    "lines": ("tenant_id", "entry_id", "line_no"),
    "payment_returns": ("tenant_id", "kind", "return_id"),
    "usage_events": ("tenant_id", "event_id"),
    "usage_allocations": (),
    "usage_failures": ("tenant_id", "event_id"),
    "holds": ("tenant_id", "hold_id"),
    "hold_releases": ("tenant_id", "hold_id"),
    "personal_data_erasures": ("tenant_id", "customer_id", "erased_us"),
    "plans": ("tenant_id", "plan_id"),
    "subscription_events": ("tenant_id", "subscription_id", "seq"),
}
# A text column of each table that a rewrite would change.
TEXT_COLUMN = {
    "entries": "memo",
    "lines": "account",
    "payment_returns": "reason",
    "usage_events": "customer_id",
    "usage_allocations": "lot_id",
    "usage_failures": "cause",
    "holds": "reason",
    "hold_releases": "reason",
    "personal_data_erasures": "fields",
    "plans": "body",
    "subscription_events": "detail",
}


def zar(text: str) -> Money:
    return Money.of(text, "ZAR")


def at(hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, days=days)


def card_payment(app: App, tenant: str, cid: str, amount: str, pid: str) -> None:
    app.ledger.handle(c.RecordCharge(tenant, f"chg-{pid}", f"inv-{pid}", cid, zar(amount), T0))
    app.ledger.handle(
        c.RecordPayment(tenant, f"pay-{pid}", pid, cid, zar(amount), Method.card, "stripe", T0)
    )


def top_up(app: App, tenant: str, cid: str, amount: str, pid: str) -> None:
    app.ledger.handle(
        c.TopUpWallet(tenant, f"top-{pid}", pid, cid, zar(amount), Method.eft, "bank", T0)
    )


def history(app: App, tenant: str) -> None:
    """At least one row in every append-only table of ``tenant``."""
    app.ledger.handle(
        c.BuyCreditLot(tenant, "lot-L1", "L1", "C1", 10, zar("1.00"), LotSource.purchase, T0)
    )
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 2, at(1)))
    app.ledger.handle(c.ConsumeCredits(tenant, "u2", "ev2", "C1", 1, at(1)))
    app.ledger.handle(c.FailUsage(tenant, "f2", "ev2", "platform", at(2)))
    card_payment(app, tenant, "C2", "100.00", "p1")
    refund(app, tenant, "rf1", "r1", "p1", "100.00", when=at(2))
    card_payment(app, tenant, "C3", "10.00", "p2")
    app.ledger.handle(c.RecordChargeback(tenant, "cb1", "d1", "p2", zar("10"), at(2)))
    app.ledger.handle(c.ReleaseHold(tenant, "rel1", "hold-d1", at(3), c.HoldResolution.lost))
    app.ledger.handle(c.RegisterCustomer(tenant, "reg-P1", "P1"))
    app.ledger.handle(c.RecordCustomerProfile(tenant, "prof-P1", "P1", at(3), name="P. One"))
    app.ledger.handle(c.ErasePersonalData(tenant, "erase-P1", "P1", at(4)))
    app.ledger.handle(c.DefinePlan(tenant, "plan-p", "p", 1, Cycle.monthly, zar("10.00")))
    app.ledger.handle(c.Subscribe(tenant, "sub-S1", "S1", "C4", "p", at(3)))


def is_sqlite(app: App) -> bool:
    return app.db.dialect.name == "sqlite"


def mark(app: App) -> str:
    """The tenant parameter in raw SQL (bound by name, so it may appear several times)."""
    return ":t" if is_sqlite(app) else "%(t)s"


@contextmanager
def console(app: App) -> Iterator[Any]:
    """A connection like an operator's console session: on SQLite a plain ``sqlite3``
    connection with none of the application's pragmas; on PostgreSQL the owner's."""
    if is_sqlite(app):
        raw = sqlite3.connect(str(app.db.url.database), isolation_level=None)
        try:
            yield raw
        finally:
            raw.close()
        return
    with app.db.connect() as conn:
        yield conn.connection.driver_connection


def run_sql(app: App, sql: str, tenant: str) -> None:
    """One statement in its own transaction, committed if the database accepts it."""
    with console(app) as raw:
        if is_sqlite(app):
            raw.execute("BEGIN")
            try:
                raw.execute(sql, {"t": tenant})
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
        else:
            with raw.transaction():
                raw.execute(sql, {"t": tenant} if "%(t)s" in sql else None)


def snapshot(engine: Engine, tenant: str, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    mark_ = ":t" if engine.dialect.name == "sqlite" else "%(t)s"
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in tables:
            rows = conn.exec_driver_sql(
                f"SELECT * FROM {table} WHERE tenant_id = {mark_}",
                {"t": tenant},
            )
            out[table] = sorted(tuple(r) for r in rows)
    return out


__all__ = ["open_tenant", "refund"]
