"""Periods from a fixed anchor and proration rounded once."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from refundable.billing.plans import Cycle, Plan, add_months, period_bounds
from refundable.billing.proration import prorate, remaining_ratio
from refundable.core.errors import InputError, InvariantBroken

from .support import STARTER, T0, day, zar


def test_month_end_anchor_clamps_then_returns_without_drift() -> None:
    anchor = datetime(2026, 1, 31, tzinfo=UTC)
    assert add_months(anchor, 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(anchor, 2) == datetime(2026, 3, 31, tzinfo=UTC)
    assert period_bounds(anchor, Cycle.annual, 1)[1] == datetime(2028, 1, 31, tzinfo=UTC)


def test_ratio_is_exact_share_of_the_period() -> None:
    start, end = period_bounds(T0, Cycle.monthly, 0)
    assert remaining_ratio(day(10.5), start, end) == Decimal("20.5") / Decimal(31)
    assert remaining_ratio(start, start, end) == 1
    assert remaining_ratio(end, start, end) == 0


def test_prorate_rounds_once_half_up() -> None:
    start, end = period_bounds(T0, Cycle.monthly, 0)
    assert prorate(zar("310.00"), day(10.5), start, end) == zar("205.00")
    # 100 * 1/31 = 3.2258...: one rounding at the end gives 3.23
    assert prorate(zar("100.00"), day(30), start, end) == zar("3.23")


def test_empty_period_is_a_bug() -> None:
    with pytest.raises(InvariantBroken):
        remaining_ratio(T0, T0, T0)


def test_negative_price_refused() -> None:
    with pytest.raises(InputError, match="negative price"):
        Plan("x", 1, Cycle.monthly, zar("-1.00"))


def test_cycle_price_includes_add_ons() -> None:
    from refundable.billing.plans import AddOn

    plan = Plan("x", 1, Cycle.monthly, zar("10.00"), add_ons=(AddOn("site", zar("2.50")),))
    assert plan.cycle_price == zar("12.50")
    assert STARTER.cycle_price == zar("310.00")
