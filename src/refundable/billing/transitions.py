"""``apply``: one lifecycle event on one subscription, decided by the policy, without I/O.

Same input, same output: the caller passes the instant and the policy's lifecycle rules, and
gets back the new subscription and the effects to carry out (postings, scheduled actions,
notices), each citing its clause. Events arrive in time order; an event the state or the
policy does not allow raises :class:`~refundable.core.errors.TransitionRefused` and changes
nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.billing.changes import (
    downgrade,
    renew,
    start_trial,
    subscribe,
    upgrade,
    withdraw_downgrade,
)
from refundable.billing.common import refuse
from refundable.billing.discontinuation import discontinue
from refundable.billing.dunning import (
    account_credited,
    grace_ended,
    payment_failed,
    payment_succeeded,
    suspend,
)
from refundable.billing.effects import Effects
from refundable.billing.ending import (
    cancel,
    end_at_period_end,
    end_trial,
    reactivate,
    terminate,
    undo_cancel,
)
from refundable.billing.events import (
    AccountCredited,
    ApplyPromotion,
    Cancel,
    Discontinue,
    Downgrade,
    Event,
    GraceEnded,
    LapsePromotion,
    PaymentFailed,
    PaymentSucceeded,
    PeriodEnd,
    Reactivate,
    Renew,
    StartTrial,
    Subscribe,
    Suspend,
    Terminate,
    UndoCancel,
    Upgrade,
    UsageBilled,
    WithdrawDowngrade,
)
from refundable.billing.promotions import apply_promotion, lapse_promotion
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import BillingState, Subscription
from refundable.billing.usage import bill_usage
from refundable.core.errors import InputError


def apply(
    sub: Subscription | None, event: Event, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """The subscription after ``event`` at ``at`` under ``rules``, and what to do about it."""
    if at.tzinfo is None:
        raise InputError("the event instant must be timezone-aware", where="at")
    if sub is not None and at < sub.updated_at:
        refuse(sub, "events must arrive in time order", f"at or after {sub.updated_at}")
    new, effects = _dispatch(sub, event, at, rules)
    return replace(new, updated_at=at), effects


def _dispatch(
    sub: Subscription | None, event: Event, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    match event:
        case StartTrial():
            return start_trial(sub, event, at, rules)
        case Subscribe():
            return subscribe(sub, event, at, rules)
        case Upgrade():
            return upgrade(sub, event, at, rules)
        case Downgrade():
            return downgrade(sub, event, at, rules)
        case WithdrawDowngrade():
            return withdraw_downgrade(sub, at, rules)
        case Cancel():
            return cancel(sub, event, at, rules)
        case UndoCancel():
            return undo_cancel(sub, at, rules)
        case PaymentFailed():
            return payment_failed(sub, at, rules)
        case PaymentSucceeded():
            return payment_succeeded(sub, event, at, rules)
        case AccountCredited():
            return account_credited(sub, event, at, rules)
        case GraceEnded():
            return grace_ended(sub, at, rules)
        case Suspend():
            return suspend(sub, at, rules)
        case Terminate():
            return terminate(sub, event, at, rules)
        case Reactivate():
            return reactivate(sub, event, at, rules)
        case Discontinue():
            return discontinue(sub, event, at, rules)
        case ApplyPromotion():
            return apply_promotion(sub, event.promotion, at, rules)
        case LapsePromotion():
            return lapse_promotion(sub, at, rules)
        case UsageBilled():
            return bill_usage(sub, event, at, rules)
        case Renew() | PeriodEnd():
            return _period_end(sub, at, rules)


def _period_end(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """The end of a period: a trial expires, a pending cancellation ends, or billing renews."""
    if sub is not None and at >= sub.billing.period_end_at:
        if sub.state is BillingState.trialing:
            return end_trial(sub, at, rules)
        cancel_at = sub.billing.cancel_at
        if cancel_at is not None and at >= cancel_at and sub.state is not BillingState.suspended:
            return end_at_period_end(sub, at, rules)
    return renew(sub, at, rules)
