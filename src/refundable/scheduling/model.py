"""Scheduled actions and test clocks: the records, their ids, and the rules they obey.

An action's id is derived from what it does (kind, subject, due instant), so scheduling the
same work twice, from two commands or two retries, names one row: the store inserts it once.
A test clock only moves forward, at most ``MAX_CLOCK_STEP`` at a time (Stripe allows two
billing intervals, or two years without subscriptions; we take two years).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from refundable.core.errors import InputError
from refundable.core.limits import MAX_ID_LENGTH
from refundable.ledger.lots import CreditLot

MAX_CLOCK_STEP = timedelta(days=731)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)


class ActionKind(StrEnum):
    """What a due action does. A new kind is one member here and one runner entry."""

    expire_lots = "expire_lots"  # subject: the unit whose lots lapse at due_at
    notice = "notice"  # subject: the notice kind; payload: what it says, to whom
    policy_notice = "policy_notice"  # subject: the policy version customers are told of
    personal_data_purge = "personal_data_purge"  # subject: the customer (ADR 0051)
    case_sla = "case_sla"  # a refund case's stage warning or breach; payload: case, stage
    # subscriptions (ADR 0047); subject: the subscription id
    renewal = "renewal"  # the period ends: renew, or a pending cancellation takes effect
    trial_end = "trial_end"
    plan_change = "plan_change"  # a scheduled downgrade takes effect (with the period end)
    dunning_notice = "dunning_notice"
    grace_end = "grace_end"  # suspension for non-payment if still owing
    retention_purge = "retention_purge"  # personal data is due for deletion
    discontinuation = "discontinuation"  # the plan or service ends (MyProtektor 10.2)
    discontinuation_notice = "discontinuation_notice"  # a reminder before that end
    promotion_lapse = "promotion_lapse"  # promotional credits lapse (Conek 5.3)
    # subject: "tenant accounts"; recurring (ADR 0045)
    balance_checkpoints = "balance_checkpoints"


class ActionState(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"  # gave up after MAX_ATTEMPTS; kept for people to look at


@dataclass(frozen=True, slots=True)
class ScheduledAction:
    tenant_id: str
    action_id: str
    kind: ActionKind
    subject: str
    due_at: datetime
    payload: Mapping[str, str] = field(default_factory=dict)
    state: ActionState = ActionState.pending
    attempts: int = 0
    last_error: str | None = None
    done_at: datetime | None = None

    @classmethod
    def new(
        cls,
        tenant_id: str,
        kind: ActionKind,
        subject: str,
        due_at: datetime,
        payload: Mapping[str, str] | None = None,
    ) -> ScheduledAction:
        return cls(tenant_id, action_id(kind, subject, due_at), kind, subject, due_at,
                   dict(payload or {}))  # fmt: skip

    def finished(self, at: datetime) -> ScheduledAction:
        return replace(self, state=ActionState.done, attempts=self.attempts + 1, done_at=at)

    def failed_once(self, error: str, at: datetime) -> ScheduledAction:
        """After a failure: try again later with exponential backoff, or give up."""
        attempts = self.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return replace(self, state=ActionState.failed, attempts=attempts,
                           last_error=error[:500], done_at=at)  # fmt: skip
        retry_at = max(at, self.due_at) + FIRST_RETRY * (2 ** (attempts - 1))
        return replace(self, attempts=attempts, last_error=error[:500], due_at=retry_at)


def action_id(kind: ActionKind, subject: str, due_at: datetime) -> str:
    """A bounded id naming the work itself (never longer than MAX_ID_LENGTH)."""
    raw = f"{kind.value}\x1f{subject}\x1f{due_at.timestamp():.6f}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:40]
    name = f"{kind.value}-{digest}"
    assert len(name) <= MAX_ID_LENGTH  # kind names are short constants
    return name


@dataclass(frozen=True, slots=True)
class TestClock:
    """A tenant's simulated time. While a tenant has one, its due work runs only when the
    clock is advanced, never by the real-time runner."""

    __test__ = False  # not a pytest test class

    tenant_id: str
    clock_id: str
    frozen_at: datetime
    created_at: datetime

    def advanced_to(self, to: datetime) -> TestClock:
        if to.tzinfo is None or to.utcoffset() is None:
            raise InputError("a test clock moves to an aware instant", where="to",
                             allowed="an instant with its UTC offset")  # fmt: skip
        if to < self.frozen_at:
            raise InputError(
                f"a test clock only moves forward; it stands at {self.frozen_at.isoformat()}",
                where="to", allowed=f"an instant from {self.frozen_at.isoformat()} on",
            )  # fmt: skip
        if to - self.frozen_at > MAX_CLOCK_STEP:
            raise InputError(
                f"one advance may move a test clock at most {MAX_CLOCK_STEP.days} days",
                where="to",
                allowed=f"an instant up to {(self.frozen_at + MAX_CLOCK_STEP).isoformat()}",
            )
        return replace(self, frozen_at=to)


def expiry_actions(tenant_id: str, lots: Iterable[CreditLot]) -> list[ScheduledAction]:
    """One expiry action per (unit, instant) the lots lapse at: lots bought the same day share
    it, and the action expires every lot of the tenant due by then."""
    due = {(lot.unit, lot.valid_until) for lot in lots}
    return [ScheduledAction.new(tenant_id, ActionKind.expire_lots, unit, at) for unit, at in due]
