"""Shared vocabulary for the ledger integration tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from refundable.bootstrap import App
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger.lots import LotSource
from refundable.ledger.payments import Method
from refundable.service import commands as c
from refundable.service.common import Receipt

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def zar(text: str) -> Money:
    return Money.of(text, "ZAR")


def at(hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, days=days)


def customer(app: App, tenant: str, cid: str, **links: object) -> Receipt:
    return app.ledger.handle(c.RegisterCustomer(tenant, f"reg-{cid}", cid, **links))  # type: ignore[arg-type]


def top_up(app: App, tenant: str, cid: str, amount: str, pid: str) -> Receipt:
    return app.ledger.handle(
        c.TopUpWallet(tenant, f"top-{pid}", pid, cid, zar(amount), Method.eft, "bank", T0)
    )


def card_payment(app: App, tenant: str, cid: str, amount: str, pid: str) -> Receipt:
    app.ledger.handle(c.RecordCharge(tenant, f"chg-{pid}", f"inv-{pid}", cid, zar(amount), T0))
    return app.ledger.handle(
        c.RecordPayment(tenant, f"pay-{pid}", pid, cid, zar(amount), Method.card, "stripe", T0)
    )


def lot(
    app: App,
    tenant: str,
    cid: str,
    lot_id: str,
    units: int,
    price: str,
    days: float,
    source: LotSource = LotSource.purchase,
    paid_from: c.PaidFrom = c.PaidFrom.invoice,
    bought: float = 0,
) -> Receipt:
    return app.ledger.handle(
        c.BuyCreditLot(
            tenant,
            f"lot-{lot_id}",
            lot_id,
            cid,
            units,
            zar(price),
            at(days=days),
            source,
            at(days=bought),
            paid_from,
        )
    )


def journal_size(app: App, tenant: str) -> int:
    return len(app.queries.journal(tenant))
