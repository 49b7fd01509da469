"""Proration: the share of a cycle's price that belongs to the rest of the cycle.

Exact to the second (as Stripe does) so that no time zone or day boundary enters the pure
core; the ratio is kept at full precision and rounded once, here, with :data:`ROUNDING` (ADR
0038). Every lifecycle amount that is a fraction of a price goes through :func:`prorate`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from refundable.core.errors import InvariantBroken
from refundable.core.money import Money, Rounding

if TYPE_CHECKING:
    from refundable.billing.subscription import BillingTimeline

# The one rounding of lifecycle amounts (ADR 0038).
ROUNDING = Rounding.half_up


def remaining_ratio(at: datetime, period_start: datetime, period_end: datetime) -> Decimal:
    """The fraction of ``[period_start, period_end)`` still ahead at ``at``, in [0, 1]."""
    length = (period_end - period_start).total_seconds()
    if length <= 0:
        raise InvariantBroken(f"empty billing period {period_start} to {period_end}")
    ahead = (period_end - max(at, period_start)).total_seconds()
    seconds_ahead = Decimal(int(max(ahead, 0)))
    return min(seconds_ahead / Decimal(int(length)), Decimal(1))


def prorate(amount: Money, at: datetime, period_start: datetime, period_end: datetime) -> Money:
    """``amount`` times the remaining ratio of the period, rounded once with ROUNDING."""
    return (amount * remaining_ratio(at, period_start, period_end)).round(ROUNDING)


def unused_charged(bill: BillingTimeline, at: datetime) -> Money:
    """What the customer paid for the part of the current period still ahead at ``at``: the
    period's price as charged (after discounts and plan changes), prorated, and never more
    than was charged for the period (ADR 0069)."""
    unused = prorate(bill.period_price, at, bill.period_start_at, bill.period_end_at)
    return unused.min(bill.period_charged).max(Money.zero(bill.period_charged.currency))
