"""Cancellation, the end of a trial, termination and reactivation.

A cancellation ends billing but keeps access to the end of the paid period (Conek 3.2); an
annual plan needs notice before its renewal, and a notice inside the window cancels at the
following renewal and says so. A termination for a violation ends access now and forfeits the
credits. Coming back is either a resumption within the retention window or a new subscription,
as the policy says.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from refundable.billing.common import (
    action,
    after_days,
    forfeit,
    refuse,
    require,
    start_paid,
    termination_rule,
    trial_rule,
)
from refundable.billing.effects import (
    ActionKind,
    Effects,
    Notice,
    NoticeKind,
    Posting,
    PostingKind,
    ScheduledAction,
)
from refundable.billing.events import Cancel, CancelMode, Reactivate, Terminate
from refundable.billing.plans import Cycle, add_months
from refundable.billing.rules import LifecycleRules, ReactivationMode, RetentionTrigger
from refundable.billing.subscription import (
    BillingState,
    Block,
    BlockReason,
    Subscription,
)

_CANCELLABLE = (BillingState.active, BillingState.past_due, BillingState.trialing)


def cancel(
    sub: Subscription | None, ev: Cancel, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    sub = require(sub, "cancel", *_CANCELLABLE)
    if sub.state is BillingState.trialing:
        return end_trial(sub, at, rules)
    if ev.mode is CancelMode.at_period_end:
        return _cancel_at_period_end(sub, ev.notice_at or at, rules)
    return _cancel_now(sub, ev.mode, at, rules)


def _cancel_at_period_end(
    sub: Subscription, notice_at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Billing stops at the period end; an annual notice inside the window defers one cycle."""
    rule, bill = rules.cancellation, sub.billing
    effective, notices = bill.period_end_at, []
    notice_days = sub.plan.notice_days or rule.annual_notice_days
    if sub.plan.cycle is Cycle.annual and notice_days is not None:
        deadline = bill.period_end_at - timedelta(days=notice_days)
        if notice_at > deadline:
            effective = add_months(bill.period_end_at, Cycle.annual.value)
            notices.append(
                Notice(
                    NoticeKind.cancellation_deferred,
                    rule.notice_clause or rule.clause,
                    f"notice after {deadline:%Y-%m-%d} ({notice_days} days before renewal): "
                    f"renews once, cancels at {effective:%Y-%m-%d}",
                )
            )
    next_renewal = bill.period_end_at if effective > bill.period_end_at else None
    billing = replace(bill, cancel_at=effective, next_renewal_at=next_renewal)
    if bill.state is BillingState.active:
        billing = replace(billing, state=BillingState.cancel_pending)
    notices.append(
        Notice(NoticeKind.cancellation_scheduled, rule.clause, f"access until {effective:%Y-%m-%d}")
    )
    return replace(sub, billing=billing), Effects(notices=tuple(notices))


def _cancel_now(
    sub: Subscription, mode: CancelMode, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Immediate cancellation with the early-termination charge, or cooling-off with a credit."""
    rule, bill = rules.cancellation, sub.billing
    if mode is CancelMode.immediate:
        if rule.early_termination_charge is None or rule.immediate_clause is None:
            refuse(sub, "this policy offers no immediate cancellation", "at period end")
        charge, clause = rule.early_termination_charge, rule.immediate_clause
        posting = Posting(PostingKind.charge, charge, clause, "early termination")
        billing = replace(bill, balance_due=bill.balance_due + charge)
    else:
        days, off_clause = rule.cooling_off_days, rule.cooling_off_clause
        if days is None or off_clause is None or at > after_days(bill.anchor_at, days):
            refuse(sub, "outside any cooling-off period", "at period end")
        credit = bill.period_charged  # what this period was charged, after discounts (0069)
        posting = Posting(PostingKind.credit, credit, off_clause, "cooling-off")
        billing = replace(bill, account_credit=bill.account_credit + credit)
    sub = replace(sub, billing=billing)
    ended, effects = _end(sub, at, BillingState.cancelled, rules)
    return ended, Effects(postings=(posting,)) + effects


def undo_cancel(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    sub = require(sub, "undo a cancellation", BillingState.cancel_pending, BillingState.past_due)
    bill = sub.billing
    if bill.cancel_at is None or at >= bill.cancel_at:
        refuse(sub, "no pending cancellation to undo", "before the cancellation takes effect")
    state = BillingState.past_due if bill.first_failed_at is not None else BillingState.active
    billing = replace(bill, state=state, cancel_at=None, next_renewal_at=bill.period_end_at)
    notice = Notice(NoticeKind.cancellation_undone, rules.cancellation.clause)
    return replace(sub, billing=billing), Effects(notices=(notice,))


def end_at_period_end(
    sub: Subscription, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """The pending cancellation takes effect: access has run to the end of the paid period."""
    return _end(sub, at, BillingState.cancelled, rules)


def end_trial(
    sub: Subscription, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """A trial ends (expired or cancelled) with no charge; its credits are gone."""
    trial = trial_rule(sub, rules)
    sub, forfeited = forfeit(sub, trial.credits_clause, "trial credits")
    ended, effects = _end(sub, at, BillingState.cancelled, rules)
    notice = Notice(NoticeKind.trial_ended, trial.clause, "no charge")
    return ended, forfeited + effects + Effects(notices=(notice,))


def _end(
    sub: Subscription, at: datetime, state: BillingState, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    billing = replace(sub.billing, state=state, next_renewal_at=None, cancel_at=None, ended_at=at)
    access = replace(sub.access, until_at=min(sub.access.until_at, at))
    new = replace(sub, billing=billing, access=access)
    notices = []
    if state is BillingState.terminated:
        trigger = RetentionTrigger.termination
        notices.append(Notice(NoticeKind.terminated, termination_rule(sub, rules).clause))
    else:
        trigger = RetentionTrigger.cancellation
        notices.append(Notice(NoticeKind.cancelled, rules.cancellation.clause))
        fees_clause = rules.cancellation.fees_due_clause
        if fees_clause is not None and billing.balance_due.is_positive:
            detail = f"{billing.balance_due} billed before cancelling stays payable"
            notices.append(Notice(NoticeKind.cancelled, fees_clause, detail))
    period = rules.retention.period(trigger)
    purges = () if period is None else (_purge(new, at, *period),)
    return new, Effects((), purges, tuple(notices))


def _purge(sub: Subscription, at: datetime, days: int, clause: str) -> ScheduledAction:
    return action(sub, ActionKind.retention_purge, after_days(at, days), clause)


def terminate(
    sub: Subscription | None, ev: Terminate, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Termination for a violation: no refund, credits forfeited, access revoked now."""
    live = [s for s in BillingState if s not in (BillingState.cancelled, BillingState.terminated)]
    sub = require(sub, "terminate", *live)
    rule = termination_rule(sub, rules)
    effects = Effects()
    if rule.credits_forfeited:
        sub, effects = forfeit(sub, rule.clause, "termination")
    block = Block(BlockReason.violation, at, rule.clause)
    access = replace(sub.access, blocked_by=sub.access.blocked_by | {block})
    if rule.access_ends_now:
        access = replace(access, until_at=min(access.until_at, at))
    ended, ending = _end(replace(sub, access=access), at, BillingState.terminated, rules)
    return ended, effects + ending


def reactivate(
    sub: Subscription | None, ev: Reactivate, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Back after a cancellation: a new subscription, or a resumption within retention."""
    if sub is not None and sub.state is BillingState.suspended:
        refuse(sub, "outstanding fees must be paid first", "after paying all that is owed")
    sub = require(sub, "reactivate", BillingState.cancelled)
    rule = rules.reactivation
    if sub.billing.balance_due.is_positive:
        refuse(sub, f"{sub.billing.balance_due} is outstanding", "after paying all that is owed")
    effects = Effects()
    if not rule.credits_carried_over:
        sub, effects = forfeit(sub, rule.clause, "credits of the previous subscription")
    if rule.mode is ReactivationMode.within_retention:
        ended_at = sub.billing.ended_at or at
        period = rules.retention.period(RetentionTrigger.cancellation)
        if period is not None and at > after_days(ended_at, period[0]):
            refuse(sub, "the retention window has passed", "a new subscription")
        key = sub.key
    else:
        key = ev.key
        if key == sub.key:
            refuse(sub, "a reactivation is a new subscription", "a new subscription key")
    new, started = start_paid(key, ev.plan, at, rules, sub.billing.account_credit)
    if rule.mode is ReactivationMode.within_retention:
        new = replace(new, credits=new.credits + sub.credits)
    notice = Notice(NoticeKind.reactivated, rule.clause, "previous pricing not guaranteed")
    return new, effects + started + Effects(notices=(notice,))
