"""A subscription keeps two timelines, as Kill Bill does: access and billing.

Access says what the customer may use and until when, and what blocks it (a suspension for
non-payment that still lets exempt features through, a termination that blocks everything).
Billing says which period is current, when it renews, what has been charged and what is still
owed. Keeping them apart lets a cancellation end billing now while access runs to the end of
the paid period, and lets a suspension block access while the charge stays owed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from refundable.billing.plans import Plan
from refundable.core.errors import InputError
from refundable.core.money import Money


class BillingState(Enum):
    trialing = "trialing"
    active = "active"
    past_due = "past_due"
    suspended = "suspended"
    cancel_pending = "cancel_pending"
    cancelled = "cancelled"
    terminated = "terminated"


# States in which the subscription no longer bills or grants access.
ENDED = frozenset({BillingState.cancelled, BillingState.terminated})


class BlockReason(Enum):
    non_payment = "non_payment"
    violation = "violation"


class CreditKind(Enum):
    """Where credits held came from: trial and promotional credits never roll into paid."""

    trial = "trial"
    promotional = "promotional"
    plan = "plan"


@dataclass(frozen=True, slots=True)
class Block:
    """Something that stops access, with the features it lets through and its clause."""

    reason: BlockReason
    since_at: datetime
    clause: str
    exempt_features: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class AccessTimeline:
    """Access runs over ``[from_at, until_at)`` unless a block stops it."""

    from_at: datetime
    until_at: datetime
    blocked_by: frozenset[Block] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class BillingTimeline:
    """The billing side. ``charged_through_at`` is the end of the last period charged;
    ``balance_due`` what is charged and unpaid; ``account_credit`` credit waiting for the next
    charge; ``first_failed_at`` the first failed payment of the current dunning run.

    ``period_price`` is what the whole current period costs this customer: the cycle price
    less the promotional discount taken on its charge (Conek 5.2), moved by the plan-price
    difference of a plan change inside the period; ``period_charged`` is what was actually
    charged for the period: its charge, plus an upgrade's pro-rata charge, less a downgrade's
    credit (ADR 0069). Whatever gives back the period's unused time or the whole period
    prorates ``period_price`` and never gives more than ``period_charged``."""

    state: BillingState
    anchor_at: datetime
    period_index: int
    period_start_at: datetime
    period_end_at: datetime
    next_renewal_at: datetime | None
    charged_through_at: datetime
    balance_due: Money
    account_credit: Money
    period_price: Money
    period_charged: Money
    cancel_at: datetime | None = None
    pending_plan: Plan | None = None
    first_failed_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A promotional offer (Conek 5.2/5.3, ``billing.promotions``) on one subscription: the
    discount cycles still to come and the promotional credits still held, until when."""

    code: str
    applied_at: datetime
    discount_percent: Decimal | None
    discount_amount: Money | None
    cycles_left: int
    credits: Money
    credits_until: datetime | None
    combinable: bool

    @property
    def running(self) -> bool:
        return self.cycles_left > 0 or self.credits.is_positive


@dataclass(frozen=True, slots=True)
class Subscription:
    """One customer's subscription to one plan, with its credits and its two timelines."""

    key: str
    plan: Plan
    access: AccessTimeline
    billing: BillingTimeline
    credits: Money
    credit_kind: CreditKind
    updated_at: datetime
    promotions: tuple[AppliedPromotion, ...] = ()  # offers applied, newest last

    def __post_init__(self) -> None:
        if self.updated_at.tzinfo is None:
            raise InputError("subscription times must be timezone-aware", where="updated_at")

    @property
    def state(self) -> BillingState:
        return self.billing.state

    @property
    def currency(self) -> str:
        return self.plan.currency
