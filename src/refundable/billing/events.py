"""The lifecycle events a subscription receives, named in the policies' own vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from refundable.billing.plans import Plan
from refundable.billing.promotions import Promotion
from refundable.core.money import Money


class CancelMode(Enum):
    at_period_end = "at_period_end"
    immediate = "immediate"
    cooling_off = "cooling_off"


@dataclass(frozen=True, slots=True)
class StartTrial:
    key: str
    plan: Plan
    trial_days: int
    trial_credits: Money


@dataclass(frozen=True, slots=True)
class Subscribe:
    """A paid subscription: a new one (``key``) or the end of a trial."""

    plan: Plan
    key: str = ""


@dataclass(frozen=True, slots=True)
class Upgrade:
    plan: Plan


@dataclass(frozen=True, slots=True)
class Downgrade:
    plan: Plan


@dataclass(frozen=True, slots=True)
class WithdrawDowngrade:
    pass


@dataclass(frozen=True, slots=True)
class Cancel:
    """``notice_at``: when the written notice was given, if not at the event's instant."""

    mode: CancelMode = CancelMode.at_period_end
    notice_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UndoCancel:
    pass


@dataclass(frozen=True, slots=True)
class PaymentFailed:
    pass


@dataclass(frozen=True, slots=True)
class PaymentSucceeded:
    amount: Money


@dataclass(frozen=True, slots=True)
class AccountCredited:
    """Account credit granted outside billing (a refund case's remedy), already on the ledger."""

    amount: Money


@dataclass(frozen=True, slots=True)
class GraceEnded:
    pass


@dataclass(frozen=True, slots=True)
class Suspend:
    pass


@dataclass(frozen=True, slots=True)
class Terminate:
    violation: str


@dataclass(frozen=True, slots=True)
class Reactivate:
    """Back after a suspension (fees paid) or, where the policy says, as a new subscription
    under ``key`` at today's price of ``plan``."""

    plan: Plan
    key: str = ""


@dataclass(frozen=True, slots=True)
class Discontinue:
    """The plan or the whole service ends now (announced with notice, MyProtektor 10.2)."""

    discontinuation_id: str


@dataclass(frozen=True, slots=True)
class ApplyPromotion:
    """A promotional offer put on the subscription (Conek 5.2/5.3)."""

    promotion: Promotion


@dataclass(frozen=True, slots=True)
class LapsePromotion:
    """Promotional periods that are over: their credits lapse (Conek 5.3)."""


@dataclass(frozen=True, slots=True)
class UsageBilled:
    """Overage for a period, priced by :func:`~refundable.billing.usage.overage`, owed on the
    subscription like a renewal (MyProtektor 6.1). ``ref`` and ``meta`` travel to the ledger
    entry unchanged (the charge's id and the facts a dispute of it is built from)."""

    amount: Money
    memo: str
    ref: str = ""
    meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Renew:
    pass


@dataclass(frozen=True, slots=True)
class PeriodEnd:
    pass


Event = (
    StartTrial
    | Subscribe
    | Upgrade
    | Downgrade
    | WithdrawDowngrade
    | Cancel
    | UndoCancel
    | PaymentFailed
    | PaymentSucceeded
    | AccountCredited
    | GraceEnded
    | Suspend
    | Terminate
    | Reactivate
    | Discontinue
    | ApplyPromotion
    | LapsePromotion
    | UsageBilled
    | Renew
    | PeriodEnd
)
