"""Payment methods: one definition for the ledger (how a payment was made), requests
(``charge.payment_method``) and policies (payout promises per method). It lives in ``core`` so
that the light decision path can validate a request without importing the ledger."""

from __future__ import annotations

from enum import Enum


class Method(Enum):
    card = "card"
    eft = "eft"
    wallet = "wallet"
    account_credit = "account_credit"
    debit_order = "debit_order"
    cash = "cash"

    @property
    def internal(self) -> bool:
        """Paid from a balance we hold (no provider involved)."""
        return self in (Method.wallet, Method.account_credit)
