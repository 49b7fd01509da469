"""Usage beyond a plan's allowance, charged at the plan's published unit rates (MyProtektor 6.1).

Each plan includes a number of units per period for each metered feature; units above it cost
the published rate each. The amount is rate x units over, rounded once to the currency's minor
unit (half up). A metric the plan does not meter is refused rather than charged at a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from refundable.billing.plans import Plan, UsageAllowance
from refundable.core.errors import InputError
from refundable.core.money import Money


@dataclass(frozen=True, slots=True)
class OverageLine:
    """One metric's usage in a period against the plan's allowance, and what the rest costs."""

    metric: str
    used: int
    included: int
    over: int
    unit_rate: Money
    amount: Money


def allowance_of(plan: Plan, metric: str) -> UsageAllowance:
    found = next((u for u in plan.usage if u.metric == metric), None)
    if found is None:
        metered = ", ".join(u.metric for u in plan.usage) or "none"
        raise InputError(
            f"plan {plan.code} does not meter {metric!r}",
            where="metric",
            allowed=f"a metric of the plan: {metered}",
        )
    return found


def overage(plan: Plan, metric: str, used: int) -> OverageLine:
    """What ``used`` units of ``metric`` in one period cost beyond the plan's allowance."""
    if isinstance(used, bool) or not isinstance(used, int) or used < 0:
        raise InputError(f"{used!r} units", where="units", allowed="a whole number, 0 or more")
    allowance = allowance_of(plan, metric)
    over = max(0, used - allowance.included_units)
    rate = allowance.overage_unit_rate
    amount = Money.of(rate.amount * over, rate.currency).round()
    return OverageLine(metric, used, allowance.included_units, over, rate, amount)
