"""What a plan unlocks: its own features and at most its seats (MyProtektor 2.2).

``can_use`` answers whether the subscription's access timeline lets the customer in; where the
policy gives each tier its own features, the plan must also list the feature. Features the
policy never gates by billing status (MyProtektor 6.1) are still subject to the plan: an
emergency feature the plan does not include is not unlocked by a suspension exemption. Seats
are counted by the caller (who knows the users) and checked here against the plan's limit.
"""

from __future__ import annotations

from datetime import datetime

from refundable.billing.common import refuse
from refundable.billing.entitlement import can_use
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import Subscription
from refundable.core.errors import InputError


def plan_allows(
    sub: Subscription | None, feature: str, at: datetime, rules: LifecycleRules
) -> bool:
    """``can_use``, narrowed to the plan's own features where the policy says so."""
    if not can_use(sub, feature, at, rules):
        return False
    rule = rules.entitlements
    if sub is None or rule is None or not rule.features_by_plan:
        return True
    return feature in sub.plan.features


def check_seats(sub: Subscription, active_seats: int, rules: LifecycleRules) -> None:
    """Refuse a seat count over the plan's maximum, where the policy limits seats."""
    if isinstance(active_seats, bool) or not isinstance(active_seats, int) or active_seats < 0:
        raise InputError(f"{active_seats!r} seats", where="active_seats", allowed="0 or more")
    rule, limit = rules.entitlements, sub.plan.seats_max
    if rule is None or not rule.seat_limits or limit is None or active_seats <= limit:
        return
    refuse(
        sub,
        f"plan {sub.plan.code} allows {limit} active seats, not {active_seats} ({rule.clause})",
        f"at most {limit} seats, or a plan with more",
    )
