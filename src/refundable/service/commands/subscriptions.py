"""Subscription commands: define a plan, start a trial or a subscription, change its plan,
cancel it or undo that, terminate it, reactivate it, and record how its renewals were paid.

No command carries what the policy decides (proration, notice windows, grace, forfeits,
whether an immediate cancellation is offered and at what charge): the handler asks the
tenant's policy in force at ``at``. ``actor_id`` says who asked (the history records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from refundable.billing.events import CancelMode
from refundable.billing.plans import Cycle, UsageAllowance
from refundable.billing.promotions import Promotion
from refundable.core.limits import MAX_LIFECYCLE_DAYS, MAX_UNITS
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service.commands.base import Command, bad, check_id, check_int, check_money

MAX_TIER = 1_000
MAX_FEATURES = 50
MAX_SEATS = 1_000_000


@dataclass(frozen=True, slots=True)
class DefinePlan(Command):
    """A plan the tenant sells, fixed once defined: a new price is a new plan id."""

    tenant_id: str
    idempotency_key: str
    plan_id: str
    tier: int
    cycle: Cycle
    price: Money
    included_credits: Money | None = None
    credits_carry_in: bool = False
    notice_days: int | None = None
    seats_max: int | None = None
    features: tuple[str, ...] = ()
    usage: tuple[UsageAllowance, ...] = ()  # allowances and published overage rates (6.1)
    BUSINESS_KEYS = (("plan", "plan_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        check_int(self.tier, "DefinePlan.tier", 1, MAX_TIER)
        if self.notice_days is not None:
            check_int(self.notice_days, "DefinePlan.notice_days", 0, MAX_LIFECYCLE_DAYS)
        if self.seats_max is not None:
            check_int(self.seats_max, "DefinePlan.seats_max", 1, MAX_SEATS)
        if not isinstance(self.features, tuple) or len(self.features) > MAX_FEATURES:
            raise bad("DefinePlan.features", self.features, f"at most {MAX_FEATURES} names")
        for i, name in enumerate(self.features):
            check_id(name, f"DefinePlan.features[{i}]")
        if self.included_credits is not None:
            check_money(self.included_credits, "DefinePlan.included_credits")
        if self.included_credits is not None and (
            self.included_credits.currency != self.price.currency
        ):
            raise bad("DefinePlan.included_credits", self.included_credits,
                      f"an amount in {self.price.currency}, the plan's currency")  # fmt: skip
        _check_usage(self.usage, self.price.currency)


def _check_usage(usage: object, currency: str) -> None:
    """Each allowance: a metric name, the units included, a positive rate in the plan's currency."""
    if not isinstance(usage, tuple) or len(usage) > MAX_FEATURES:
        raise bad("DefinePlan.usage", usage, f"at most {MAX_FEATURES} allowances")
    for i, u in enumerate(usage):
        where = f"DefinePlan.usage[{i}]"
        if not isinstance(u, UsageAllowance):
            raise bad(where, u, "a usage allowance (metric, included units, unit rate)")
        check_id(u.metric, f"{where}.metric")
        check_int(u.included_units, f"{where}.included_units", 0, MAX_UNITS - 1)
        check_money(u.overage_unit_rate, f"{where}.overage_unit_rate")
        if u.overage_unit_rate.currency != currency:
            raise bad(f"{where}.overage_unit_rate", u.overage_unit_rate, f"a rate in {currency}")


@dataclass(frozen=True, slots=True)
class StartTrial(Command):
    tenant_id: str
    idempotency_key: str
    subscription_id: str
    customer_id: str
    plan_id: str
    trial_days: int
    at: datetime
    trial_credits: Money | None = None
    actor_id: str = "api"
    BUSINESS_KEYS = (("subscription", "subscription_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        check_int(self.trial_days, "StartTrial.trial_days", 1, MAX_LIFECYCLE_DAYS)
        if self.trial_credits is not None:
            check_money(self.trial_credits, "StartTrial.trial_credits")


@dataclass(frozen=True, slots=True)
class Subscribe(Command):
    """A paid subscription: a new one, or the one on trial under ``subscription_id``."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    customer_id: str
    plan_id: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class UpgradePlan(Command):
    tenant_id: str
    idempotency_key: str
    subscription_id: str
    plan_id: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class DowngradePlan(Command):
    tenant_id: str
    idempotency_key: str
    subscription_id: str
    plan_id: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class WithdrawDowngrade(Command):
    tenant_id: str
    idempotency_key: str
    subscription_id: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class CancelSubscription(Command):
    """``notice_at``: when written notice was given, when earlier than ``at``."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    at: datetime
    mode: CancelMode = CancelMode.at_period_end
    notice_at: datetime | None = None
    actor_id: str = "api"

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if self.notice_at is not None and self.notice_at > self.at:
            raise bad("CancelSubscription.notice_at", self.notice_at,
                      "an instant at or before the cancellation's 'at'")  # fmt: skip


@dataclass(frozen=True, slots=True)
class UndoCancellation(Command):
    tenant_id: str
    idempotency_key: str
    subscription_id: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class TerminateSubscription(Command):
    """Termination for a violation of the terms, named in ``reason``."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    reason: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class ReactivateSubscription(Command):
    """Back after a cancellation. Where the policy makes it a new subscription (Conek 3.4),
    ``new_subscription_id`` names it; within a retention window the old one resumes."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    plan_id: str
    at: datetime
    new_subscription_id: str | None = None
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class RecordRenewalPayment(Command):
    """A payment of what the subscription owes succeeded (recorded, or from the gateway)."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    payment_id: str
    amount: Money
    method: Method
    provider: str | None
    at: datetime
    actor_id: str = "api"
    BUSINESS_KEYS = (("payment", "payment_id"),)


@dataclass(frozen=True, slots=True)
class RecordPaymentFailure(Command):
    """A payment attempt failed: the first failure starts dunning."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    at: datetime
    reason: str = ""
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class SuspendSubscription(Command):
    """Suspend for non-payment now (the grace-end action does this on its own)."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    at: datetime
    actor_id: str = "api"


@dataclass(frozen=True, slots=True)
class DiscontinueService(Command):
    """The business announces at ``at`` that plan ``plan_id`` (None: the whole service) ends
    at ``effective_at``. Refused inside the policy's notice period (MyProtektor 10.2); from
    ``at`` the plan is no longer sold, subscribers are told and reminded, and at the end
    each subscription stops with what the policy gives for prepaid time."""

    tenant_id: str
    idempotency_key: str
    discontinuation_id: str
    plan_id: str | None
    effective_at: datetime
    at: datetime
    actor_id: str = "api"
    BUSINESS_KEYS = (("discontinuation", "discontinuation_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if self.effective_at <= self.at:
            raise bad("DiscontinueService.effective_at", self.effective_at,
                      "an instant after the announcement's 'at'")  # fmt: skip


@dataclass(frozen=True, slots=True)
class DefinePromotion(Command):
    """A promotional offer the tenant publishes (Conek 5.2/5.3), fixed once defined. Whether
    offers combine and whether credits survive a plan change are the policy's, not here."""

    tenant_id: str
    idempotency_key: str
    promotion_id: str  # the offer's code
    discount_percent: Decimal | None = None
    discount_amount: Money | None = None
    cycles: int = 1
    credits: Money | None = None
    credits_valid_days: int | None = None
    available_from_at: datetime | None = None
    available_until_at: datetime | None = None
    combinable: bool = False  # the offer's own terms say it combines with others
    BUSINESS_KEYS = (("promotion", "promotion_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        for name in ("discount_amount", "credits"):
            value = getattr(self, name)
            if value is not None:
                check_money(value, f"DefinePromotion.{name}")
        if self.discount_percent is not None and not isinstance(self.discount_percent, Decimal):
            raise bad("DefinePromotion.discount_percent", self.discount_percent,
                      "a decimal percentage, e.g. 20")  # fmt: skip
        self.promotion()  # the offer's own checks, reported before anything is written

    def promotion(self) -> Promotion:
        return Promotion(
            self.promotion_id, self.discount_percent, self.discount_amount, self.cycles,
            self.credits, self.credits_valid_days, self.available_from_at,
            self.available_until_at, self.combinable,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ApplyPromotion(Command):
    """Put offer ``promotion_id`` on a subscription at ``at`` (available then, and combined
    only as the policy allows)."""

    tenant_id: str
    idempotency_key: str
    subscription_id: str
    promotion_id: str
    at: datetime
    actor_id: str = "api"
