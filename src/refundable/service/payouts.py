"""Payouts: an approved refund paid back through the payment gateway, exactly once.

This module holds the contract other parts code against: the :class:`PayoutSettled` event
and ``PAYOUT_SETTLED_HOOKS``. A hook runs inside the very transaction that records a payout as
settled and posts it to the ledger, so whatever it writes (a case moving to ``paid``, a
notice in the outbox) commits with the money or not at all. A hook must not do I/O of its
own: it adds to ``ctx.repos`` (an email or webhook goes out through the outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from refundable.core.money import Money
from refundable.outbound.payouts import Payout
from refundable.service.common import Context


@dataclass(frozen=True, slots=True)
class PayoutSettled:
    """A payout the gateway confirmed, now posted to the ledger."""

    tenant_id: str
    payout_id: str
    case_id: str
    customer_id: str
    payment_id: str
    decision_id: str
    amount: Money  # what left, in the payment's currency
    gateway: str
    gateway_refund_id: str
    settled_at: datetime
    entry_id: str  # the ledger entry that posted it


PayoutHook = Callable[[PayoutSettled, Context], None]

# Append at import time of your module (e.g. the cases package registers "case -> paid").
PAYOUT_SETTLED_HOOKS: list[PayoutHook] = []


FailedHook = Callable[[Payout, Context], None]

# Called when a payout fails for good, or waits for the alternative arrangement (8.1), in the
# transaction that records it (the case can tell the customer, or offer the alternative).
PAYOUT_FAILED_HOOKS: list[FailedHook] = []


def run_failed_hooks(payout: Payout, ctx: Context) -> None:
    for hook in PAYOUT_FAILED_HOOKS:
        hook(payout, ctx)


def run_settled_hooks(event: PayoutSettled, ctx: Context) -> None:
    """Call every hook, in registration order, in the caller's transaction."""
    for hook in PAYOUT_SETTLED_HOOKS:
        hook(event, ctx)
