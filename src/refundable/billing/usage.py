"""Usage beyond a plan's allowance, charged at the plan's published unit rates (MyProtektor 6.1).

Each plan includes a number of units per period for each metered feature; units above it cost
the published rate each. The amount is rate x units over, rounded once to the currency's minor
unit (half up). A metric the plan does not meter is refused rather than charged at a guess.

:func:`bill_usage` makes that amount owed on the subscription, like a renewal: it joins the
balance due (account credit pays what it can first), so a declined collection starts dunning
and a payment settles it (ADR 0066, addendum).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from refundable.billing.common import refuse, require, require_amount
from refundable.billing.effects import Effects, Posting, PostingKind
from refundable.billing.events import UsageBilled
from refundable.billing.plans import Plan, UsageAllowance
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import BillingState, Subscription
from refundable.core.errors import InputError
from refundable.core.money import Money

# States in which usage is billed: a paid subscription, owing or not. A trial is not billed
# for usage; an ended subscription is billed nothing more.
BILLABLE = (
    BillingState.active,
    BillingState.cancel_pending,
    BillingState.past_due,
    BillingState.suspended,
)


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


def bill_usage(
    sub: Subscription | None, ev: UsageBilled, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """``ev.amount`` becomes owed: account credit pays what it can, the rest joins the balance
    due. Dunning is not started here: only a failed collection starts it."""
    sub = require(sub, "bill usage", *BILLABLE)
    if rules.usage is None:
        refuse(sub, "the policy publishes no overage billing", "a policy with lifecycle.usage")
    require_amount(sub, ev.amount, "usage charge")
    bill = sub.billing
    applied = bill.account_credit.min(ev.amount)
    billing = replace(
        bill,
        balance_due=bill.balance_due + ev.amount - applied,
        account_credit=bill.account_credit - applied,
    )
    posting = Posting(PostingKind.charge, ev.amount, rules.usage.clause, ev.memo, ev.ref, ev.meta)
    return replace(sub, billing=billing), Effects(postings=(posting,))
