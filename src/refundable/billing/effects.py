"""What a transition asks the world to do, as data: postings, scheduled actions, notices.

The transitions never write. A handler turns these into ledger entries, rows of the scheduled
actions table and messages, in one transaction. Every effect cites its clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from refundable.core.money import Money


class PostingKind(Enum):
    charge = "charge"  # the customer owes this
    credit = "credit"  # account credit for the customer, applied to the next charge
    forfeit = "forfeit"  # credits held are removed without value
    grant = "grant"  # credits given (trial, plan); not money owed


class ActionKind(Enum):
    renew = "renew"
    trial_end = "trial_end"
    period_end = "period_end"
    plan_change = "plan_change"
    dunning_notice = "dunning_notice"
    grace_end = "grace_end"
    retention_purge = "retention_purge"
    discontinue = "discontinue"  # the plan or service ends (MyProtektor 10.2)
    discontinuation_notice = "discontinuation_notice"  # a reminder before it ends
    promotion_lapse = "promotion_lapse"  # promotional credits lapse (Conek 5.3)


class NoticeKind(Enum):
    trial_started = "trial_started"
    trial_ended = "trial_ended"
    subscribed = "subscribed"
    upgraded = "upgraded"
    downgrade_scheduled = "downgrade_scheduled"
    downgrade_withdrawn = "downgrade_withdrawn"
    downgraded = "downgraded"
    cancellation_scheduled = "cancellation_scheduled"
    cancellation_deferred = "cancellation_deferred"  # notice came inside the window
    cancellation_undone = "cancellation_undone"
    cancelled = "cancelled"
    renewed = "renewed"
    payment_failed = "payment_failed"
    payment_received = "payment_received"
    suspended = "suspended"
    reinstated = "reinstated"
    terminated = "terminated"
    reactivated = "reactivated"
    discontinuation_announced = "discontinuation_announced"
    discontinued = "discontinued"
    promotion_applied = "promotion_applied"
    promotion_ended = "promotion_ended"


@dataclass(frozen=True, slots=True)
class Posting:
    """``ref`` and ``meta``: the entry's reference (default: the subscription) and extra
    facts it keeps (an overage charge's metric, units and invoice date)."""

    kind: PostingKind
    amount: Money
    clause: str
    memo: str
    ref: str = ""
    meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduledAction:
    kind: ActionKind
    due_at: datetime
    key: str
    clause: str


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    clause: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RefundDue:
    """Money the policy gives back for prepaid time (MyProtektor 10.2): the service hands it
    to the refund workflow, which decides and pays it under the same clause."""

    amount: Money
    clause: str
    period_start_at: datetime
    period_end_at: datetime
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class Effects:
    postings: tuple[Posting, ...] = ()
    actions: tuple[ScheduledAction, ...] = ()
    notices: tuple[Notice, ...] = ()
    refunds: tuple[RefundDue, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        return Effects(
            self.postings + other.postings,
            self.actions + other.actions,
            self.notices + other.notices,
            self.refunds + other.refunds,
        )


NO_EFFECTS = Effects()
