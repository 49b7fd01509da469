"""``can_use``: may this customer use this feature at this instant?

Access is the access timeline minus its blocks; a block for non-payment lets through the
features the policy never gates by billing status (MyProtektor 6.1: panic button, emergency
dispatch). The check does not wait for the grace-end action to run: once grace is over and
money is still owed, non-exempt features are refused even if the suspension is not yet written.
Exempt features end with the subscription itself (ADR 0039).
"""

from __future__ import annotations

from datetime import datetime

from refundable.billing.common import after_days
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import BlockReason, Subscription


def can_use(sub: Subscription | None, feature: str, at: datetime, rules: LifecycleRules) -> bool:
    if sub is None:
        return False
    access = sub.access
    if not access.from_at <= at < access.until_at:
        return False
    if any(b.reason is BlockReason.violation for b in access.blocked_by):
        return False
    exempt = feature in rules.suspension.exempt_features
    if not all(feature in b.exempt_features for b in access.blocked_by):
        return False
    failed_at = sub.billing.first_failed_at
    if failed_at is not None and sub.billing.balance_due.is_positive and not exempt:
        return at < after_days(failed_at, rules.suspension.grace_days)
    return True
