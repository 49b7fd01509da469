"""Due work of subscriptions, run by the scheduled-actions runner (ADR 0047).

Each kind loads and locks the subscription named by the action's subject and runs the billing
event the action stands for at the action's due instant (or at the subscription's last change
when that came later: events arrive in time order). An action the subscription has moved past
(a renewal already done by its twin plan-change action, a grace end after the payment came in,
a notice for a dunning run that ended) changes nothing and writes nothing: it is reported as
stale. Renewal charges are posted here; when the customer keeps a payment method on file the
same transaction asks the gateway to collect them through the outbox (ADR 0066), else the
payment that settles them is recorded by ``RecordRenewalPayment``.
"""

from __future__ import annotations

from collections.abc import Callable

from refundable.billing import events as ev
from refundable.billing.records import SubscriptionRecord
from refundable.billing.subscription import ENDED, BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import TransitionRefused
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import discontinuation
from refundable.service.common import Context, Detail, Done
from refundable.service.outbox_kinds import webhook_message
from refundable.service.subscription_effects import (
    EVENT_PREFIX,
    Change,
    collect,
    notice_data,
    write_change,
)
from refundable.service.subscription_handlers import done, rules_at, unchanged

ACTOR = "scheduler"


def _stale(action: ScheduledAction, why: str) -> Done:
    return Done(ref=action.subject, details={Detail.stale: why})


def _run(ctx: Context, rec: SubscriptionRecord, action: ScheduledAction, event: ev.Event) -> Done:
    sub = rec.subscription
    at = max(action.due_at, sub.updated_at)
    try:
        after, effects = apply(sub, event, at, rules_at(ctx, at))
    except TransitionRefused as err:
        return _stale(action, err.message)
    if unchanged(sub, after, effects):
        return _stale(action, "nothing to do")
    ch = Change(rec.subscription_id, rec.customer_id, rec, after, effects,
                type(event).__name__, at, ACTOR)  # fmt: skip
    return done(ch, write_change(ctx, ch))


def period_end(action: ScheduledAction, ctx: Context) -> Done:
    """Renewal, trial end, scheduled downgrade, cancellation taking effect: the period ends."""
    rec = ctx.repos.subscriptions.lock(action.subject)
    if rec is None:
        return _stale(action, "no such subscription")
    bill = rec.subscription.billing
    if bill.state in ENDED or bill.state is BillingState.suspended:
        return _stale(action, f"subscription is {bill.state.value}")
    if action.due_at < bill.period_end_at:
        return _stale(action, "the period already ended")
    return _run(ctx, rec, action, ev.PeriodEnd())


def grace_end(action: ScheduledAction, ctx: Context) -> Done:
    """Suspension for non-payment when grace is over and money is still owed."""
    rec = ctx.repos.subscriptions.lock(action.subject)
    if rec is None:
        return _stale(action, "no such subscription")
    return _run(ctx, rec, action, ev.GraceEnded())


def dunning_notice(action: ScheduledAction, ctx: Context) -> Done:
    """A reminder of what is owed, while the dunning run that scheduled it is still on; each
    reminder after the failure's own also asks the gateway again for all that is owed, when a
    payment method is on file (ADR 0079). Its answer is recorded as any charge's: a success
    pays and ends dunning, a decline is a failed retry (the run goes on, to suspension)."""
    rec = ctx.repos.subscriptions.get(action.subject)
    if rec is None:
        return _stale(action, "no such subscription")
    bill = rec.subscription.billing
    running = bill.first_failed_at is not None and bill.first_failed_at <= action.due_at
    if not running or not bill.balance_due.is_positive:
        return _stale(action, "nothing is owed any more")
    _notify(ctx, action, rec, "dunning_notice", f"{bill.balance_due} owed")
    if bill.first_failed_at is not None and action.due_at > bill.first_failed_at:
        collect(ctx, rec.subscription_id, rec.customer_id, bill.balance_due, action.due_at)
    return Done(ref=action.subject)


def retention_purge(action: ScheduledAction, ctx: Context) -> Done:
    """Personal data falls due for deletion: announced in the outbox (the deletion itself is
    the data-retention work's); a subscription that came back in time is left alone."""
    rec = ctx.repos.subscriptions.get(action.subject)
    if rec is None:
        return _stale(action, "no such subscription")
    state = rec.subscription.state
    if state not in ENDED and state is not BillingState.suspended:
        return _stale(action, f"subscription is {state.value} again")
    _notify(ctx, action, rec, "retention_due", f"after {state.value}")
    return Done(ref=action.subject)


def _notify(
    ctx: Context, action: ScheduledAction, rec: SubscriptionRecord, kind: str, detail: str
) -> None:
    data = notice_data(rec.subscription_id, rec.customer_id, action.payload.get("clause", ""),
                       action.due_at)  # fmt: skip
    data["detail"] = detail
    mid = action.action_id
    ctx.repos.outbox.add(webhook_message(
        mid, event_type=EVENT_PREFIX + kind, event_id=mid, data=data, at=action.due_at
    ))  # fmt: skip


def promotion_lapse(action: ScheduledAction, ctx: Context) -> Done:
    """Promotional credits whose period is over lapse (Conek 5.3), whatever the state."""
    rec = ctx.repos.subscriptions.lock(action.subject)
    if rec is None:
        return _stale(action, "no such subscription")
    return _run(ctx, rec, action, ev.LapsePromotion())


KINDS: dict[ActionKind, Callable[[ScheduledAction, Context], Done]] = {
    ActionKind.renewal: period_end,
    ActionKind.trial_end: period_end,
    ActionKind.plan_change: period_end,
    ActionKind.grace_end: grace_end,
    ActionKind.dunning_notice: dunning_notice,
    ActionKind.retention_purge: retention_purge,
    ActionKind.discontinuation: discontinuation.end,
    ActionKind.discontinuation_notice: discontinuation.reminder,
    ActionKind.promotion_lapse: promotion_lapse,
}
