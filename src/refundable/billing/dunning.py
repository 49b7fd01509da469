"""Failed payments, dunning, suspension for non-payment and reinstatement.

From the first failed payment the customer gets notices on the policy's days and keeps access
for the grace period; then access is blocked, except for the features the policy never gates
by billing status. Paying everything that is owed lifts the block (Conek 7.1); the periods
spent suspended are neither charged nor refunded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.billing.changes import renew
from refundable.billing.common import action, after_days, refuse, require, require_amount
from refundable.billing.effects import ActionKind, Effects, Notice, NoticeKind, ScheduledAction
from refundable.billing.ending import end_at_period_end
from refundable.billing.events import AccountCredited, PaymentSucceeded
from refundable.billing.rules import LifecycleRules, RetentionTrigger
from refundable.billing.subscription import (
    BillingState,
    Block,
    BlockReason,
    Subscription,
)

_OWING = (BillingState.active, BillingState.cancel_pending, BillingState.past_due)


def payment_failed(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """The first failure starts dunning: notices on the policy's days, suspension after grace."""
    sub = require(sub, "record a failed payment", *_OWING, BillingState.suspended)
    rule, bill = rules.suspension, sub.billing
    if not bill.balance_due.is_positive:
        refuse(sub, "nothing is owed", "while a charge is unpaid")
    failed = Notice(NoticeKind.payment_failed, rule.clause, f"{bill.balance_due} owed")
    if bill.first_failed_at is not None:
        return sub, Effects(notices=(failed,))  # a retry failed: dunning already runs
    steps = tuple(
        action(sub, ActionKind.dunning_notice, after_days(at, day), rule.clause)
        for day in rule.dunning_notice_days
    )
    grace = action(sub, ActionKind.grace_end, after_days(at, rule.grace_days), rule.clause)
    state = BillingState.past_due if sub.state is not BillingState.suspended else sub.state
    billing = replace(bill, state=state, first_failed_at=at)
    return replace(sub, billing=billing), Effects((), (*steps, grace), (failed,))


def payment_succeeded(
    sub: Subscription | None, ev: PaymentSucceeded, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """A payment settles what is owed (any excess becomes account credit); paying all that
    is owed ends dunning and lifts a suspension."""
    ended = (BillingState.cancelled, BillingState.terminated)  # fees owed stay payable
    sub = require(sub, "record a payment", *_OWING, BillingState.suspended, *ended)
    require_amount(sub, ev.amount, "payment")
    bill = sub.billing
    paid = ev.amount.min(bill.balance_due)
    billing = replace(
        bill,
        balance_due=bill.balance_due - paid,
        account_credit=bill.account_credit + (ev.amount - paid),
    )
    sub = replace(sub, billing=billing)
    received = Effects(notices=(Notice(NoticeKind.payment_received, rules.billing_clause),))
    if billing.balance_due.is_positive or sub.state in ended:
        return sub, received
    return _settled(sub, at, rules, received)


def account_credited(
    sub: Subscription | None, ev: AccountCredited, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Account credit granted outside billing (a refund case's remedy, issue 10 item 5): it
    pays down what is owed as a payment would (ending dunning, lifting a suspension), and the
    rest waits for the next charge; during a trial it all waits."""
    if sub is not None and sub.state is BillingState.trialing:
        require_amount(sub, ev.amount, "account credit")
        bill = sub.billing
        credited = replace(bill, account_credit=bill.account_credit + ev.amount)
        return replace(sub, billing=credited), Effects()
    after, effects = payment_succeeded(sub, PaymentSucceeded(ev.amount), at, rules)
    kept = tuple(n for n in effects.notices if n.kind is not NoticeKind.payment_received)
    return after, replace(effects, notices=kept)


def _settled(
    sub: Subscription, at: datetime, rules: LifecycleRules, effects: Effects
) -> tuple[Subscription, Effects]:
    bill = sub.billing
    state = BillingState.cancel_pending if bill.cancel_at is not None else BillingState.active
    blocks = frozenset(b for b in sub.access.blocked_by if b.reason is not BlockReason.non_payment)
    was_suspended = sub.state is BillingState.suspended
    sub = replace(
        sub,
        billing=replace(bill, state=state, first_failed_at=None),
        access=replace(sub.access, blocked_by=blocks),
    )
    if not was_suspended:
        return sub, effects
    reinstated = Effects(notices=(Notice(NoticeKind.reinstated, rules.suspension.clause),))
    effects = effects + reinstated
    if bill.cancel_at is not None and at >= bill.cancel_at:
        ended, ending = end_at_period_end(sub, at, rules)
        return ended, effects + ending
    if at >= bill.period_end_at:
        sub, renewed = renew(sub, at, rules)
        effects = effects + renewed
    return sub, effects


def grace_ended(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Grace is over: suspend if still owing; a late grace action after payment does nothing."""
    if sub is None or sub.state is not BillingState.past_due:
        return _unchanged(sub)
    failed_at = sub.billing.first_failed_at
    if failed_at is None or at < after_days(failed_at, rules.suspension.grace_days):
        refuse(sub, "the grace period has not ended", "after the grace period")
    return _suspend(sub, at, rules)


def suspend(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    sub = require(sub, "suspend for non-payment", BillingState.past_due)
    return _suspend(sub, at, rules)


def _suspend(
    sub: Subscription, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    rule = rules.suspension
    block = Block(BlockReason.non_payment, at, rule.clause, rule.exempt_features)
    access = replace(sub.access, blocked_by=sub.access.blocked_by | {block})
    billing = replace(sub.billing, state=BillingState.suspended)
    new = replace(sub, access=access, billing=billing)
    period = rules.retention.period(RetentionTrigger.suspension)
    purges: tuple[ScheduledAction, ...] = ()
    if period is not None:  # a policy that states no retention period purges nothing
        days, clause = period
        purges = (action(new, ActionKind.retention_purge, after_days(at, days), clause),)
    exempt = ", ".join(sorted(rule.exempt_features)) or "none"
    notice = Notice(NoticeKind.suspended, rule.clause, f"exempt features: {exempt}")
    return new, Effects((), purges, (notice,))


def _unchanged(sub: Subscription | None) -> tuple[Subscription, Effects]:
    if sub is None:
        refuse(sub, "no subscription", "an existing subscription")
    return sub, Effects()
