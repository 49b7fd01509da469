"""Shared vocabulary for the ledger integration tests (the same as the service tests')."""

from __future__ import annotations

from fakes import (
    T0,
    at,
    card_payment,
    credit_due,
    customer,
    decide,
    duplicate_charge,
    fee,
    fee_due,
    grant,
    lot,
    open_tenant,
    refund,
    top_up,
    zar,
)
from refundable.bootstrap import App

__all__ = [
    "T0",
    "at",
    "card_payment",
    "credit_due",
    "customer",
    "decide",
    "duplicate_charge",
    "fee",
    "fee_due",
    "grant",
    "journal_size",
    "lot",
    "open_tenant",
    "refund",
    "top_up",
    "zar",
]


def journal_size(app: App, tenant: str) -> int:
    return len(app.queries.journal(tenant))
