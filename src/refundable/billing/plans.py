"""Plans a tenant sells, and the calendar arithmetic of their billing cycles.

A plan is what the customer pays per cycle, in the tenant's currency, and what it includes
(tier, seats, add-ons, usage allowance, credits). Periods are computed from a fixed anchor so a
subscription that started on the 31st bills on the last day of short months and returns to the
31st afterwards (no drift), as Kill Bill's billing-cycle day does.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from refundable.core.errors import InputError
from refundable.core.money import Money


class Cycle(Enum):
    """How often a plan bills; the value is the number of calendar months."""

    monthly = 1
    annual = 12


@dataclass(frozen=True, slots=True)
class AddOn:
    """A priced extra sold with a plan (e.g. an extra site), charged per cycle."""

    name: str
    price: Money


@dataclass(frozen=True, slots=True)
class UsageAllowance:
    """Units included per period and the published rate for each unit beyond them."""

    metric: str
    included_units: int
    overage_unit_rate: Money


@dataclass(frozen=True, slots=True)
class Plan:
    """One plan of one tenant. ``tier`` orders plans: a higher tier is an upgrade.

    ``included_credits`` are the plan's own credits (Conek message credits);
    ``credits_carry_in`` says whether credits held from the previous plan survive a change to
    this plan (Conek 6.2: "depending on the new plan structure").
    ``notice_days`` is an enterprise contract's own cancellation notice, overriding the policy.
    """

    code: str
    tier: int
    cycle: Cycle
    price: Money
    seats_max: int | None = None
    add_ons: tuple[AddOn, ...] = ()
    usage: tuple[UsageAllowance, ...] = ()
    included_credits: Money | None = None
    credits_carry_in: bool = False
    notice_days: int | None = None
    features: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.price.is_negative:
            raise InputError(f"plan {self.code}: negative price", where="plan.price")
        if self.seats_max is not None and self.seats_max < 1:
            raise InputError(f"plan {self.code}: seats_max < 1", where="plan.seats_max")

    @property
    def currency(self) -> str:
        return self.price.currency

    @property
    def cycle_price(self) -> Money:
        """What one cycle costs: the plan and its add-ons."""
        total = self.price
        for add_on in self.add_ons:
            total = total + add_on.price
        return total


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` moved by whole calendar months, clamped to the last day of short months."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_bounds(anchor: datetime, cycle: Cycle, index: int) -> tuple[datetime, datetime]:
    """Start and end of the ``index``-th billing period counted from ``anchor``."""
    return (
        add_months(anchor, index * cycle.value),
        add_months(anchor, (index + 1) * cycle.value),
    )
