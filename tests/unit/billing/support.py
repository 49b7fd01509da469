"""Conek's lifecycle rules and plans as the billing tests use them.

``CONEK`` is what Conek's ``lifecycle:`` section means (clauses 3.2, 3.4, 5.1, 5.2, 5.3, 6.1,
6.2, 7.1, 7.2, 7.3); the grace and dunning days are the named parameters ADR 0039 reads into 7.1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from refundable.billing.plans import Cycle, Plan
from refundable.billing.rules import (
    CancellationRule,
    DowngradeMode,
    DowngradeRule,
    LifecycleRules,
    PromotionRule,
    ReactivationMode,
    ReactivationRule,
    Retention,
    Stacking,
    SuspensionRule,
    TerminationRule,
    TrialRule,
    UpgradeRule,
)
from refundable.core.money import Money


def zar(amount: str) -> Money:
    return Money.of(amount, "ZAR")


T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


CONEK = LifecycleRules(
    currency="ZAR",
    billing_clause="3.2",
    upgrade=UpgradeRule(clause="6.2"),
    downgrade=DowngradeRule(clause="6.1", mode=DowngradeMode.end_of_cycle_no_refund),
    cancellation=CancellationRule(clause="3.2"),
    trial=TrialRule(clause="5.1", credits_clause="5.1"),
    suspension=SuspensionRule(clause="7.1", grace_days=7, dunning_notice_days=(0, 3, 6)),
    termination=TerminationRule(clause="7.2"),
    reactivation=ReactivationRule(clause="3.4", mode=ReactivationMode.new_subscription),
    retention=Retention(
        after_suspension_days=30,
        suspension_clause="7.1",
        after_cancellation_days=180,
        cancellation_clause="3.4",
        after_termination_days=0,
        termination_clause="7.2",
    ),
    promotions=PromotionRule("5.2", "5.3", Stacking.when_offer_states),
)

STARTER = Plan(
    "starter",
    tier=1,
    cycle=Cycle.monthly,
    price=zar("310.00"),
    included_credits=zar("50.00"),
    features=frozenset({"messaging"}),
)
GROWTH = Plan(
    "growth",
    tier=2,
    cycle=Cycle.monthly,
    price=zar("620.00"),
    included_credits=zar("120.00"),
    features=frozenset({"messaging"}),
)
GROWTH_KEEPS = Plan(
    "growth-keeps", tier=2, cycle=Cycle.monthly, price=zar("620.00"), credits_carry_in=True
)
SCALE = Plan("scale", tier=3, cycle=Cycle.monthly, price=zar("1000.00"))
ANNUAL = Plan("annual", tier=1, cycle=Cycle.annual, price=zar("3100.00"))
