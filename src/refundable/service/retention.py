"""Personal data kept as long as the policy says, then purged: names and contact details go,
every amount stays in the ledger, and the customer's record says what was deleted and when.

The purge date comes from the policy in force at the trigger (Conek: 30 days after a
suspension, 180 after a cancellation or closure; MyProtektor: 90), through the same
``lifecycle.retention`` section the subscription transitions read. Export is available until
that date. The purge is a scheduled action on the product's clock; when it runs it checks that
the customer's schedule still names this date (a later trigger replaces it, a reinstatement
withdraws it), so a stale action does nothing. Every subscription change calls
:func:`follow_subscription` inside its own transaction (suspension, cancellation, closure and
termination start a period; a live subscription withdraws it); the commands below do the same
for callers outside one (ADR 0051).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.billing.policy import lifecycle_rules
from refundable.billing.rules import NO_RETENTION, RetentionTrigger
from refundable.billing.subscription import BillingState, Subscription
from refundable.privacy.model import (
    CustomerProfile,
    ErasureReason,
    RetentionSchedule,
    ScheduleState,
    erasure_of,
    schedule_for,
)
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done, not_found


def schedule_retention(
    ctx: Context, customer_id: str, trigger: RetentionTrigger, at: datetime
) -> RetentionSchedule | None:
    """Date the purge of ``customer_id``'s personal data after ``trigger`` at ``at`` (the
    policy in force then decides); None when the policy states no period for it."""
    rules = lifecycle_rules(ctx.policy(at).document)
    retention = NO_RETENTION if rules is None else rules.retention
    found = schedule_for(ctx.tenant_id, customer_id, retention, trigger, at, ctx.now)
    if found is None:
        return None
    ctx.repos.personal.lock_schedule(customer_id)  # serialise with a purge of the same customer
    ctx.repos.personal.save_schedule(found)
    payload = {"trigger": trigger.value, "clause": found.clause}
    kind = ActionKind.personal_data_purge
    purge = ScheduledAction.new(ctx.tenant_id, kind, customer_id, found.purge_at, payload)
    ctx.repos.schedule.add([purge])
    return found


def withdraw_retention(ctx: Context, customer_id: str, at: datetime) -> RetentionSchedule | None:
    """The account came back before its purge date: the date no longer holds."""
    current = ctx.repos.personal.lock_schedule(customer_id)
    if current is None or current.state is not ScheduleState.scheduled:
        return current
    withdrawn = replace(current, state=ScheduleState.withdrawn, updated_at=ctx.now)
    ctx.repos.personal.save_schedule(withdrawn)
    return withdrawn


# What starts a retention period, by the state a subscription enters.
_TRIGGERS = {
    BillingState.suspended: RetentionTrigger.suspension,
    BillingState.cancelled: RetentionTrigger.cancellation,
    BillingState.terminated: RetentionTrigger.termination,
}


def follow_subscription(
    ctx: Context, customer_id: str, before: BillingState | None, after: Subscription, at: datetime
) -> None:
    """Keep the customer's retention schedule in step with a subscription change (called by
    the subscription handlers after storing it): while any of the customer's subscriptions is
    live the data is kept; when the last one is suspended, cancelled or terminated, the
    policy's period for that trigger starts at ``at``."""
    # The subscription just stored is one of the customer's: when it is live, so is the
    # customer, and the others need not be read (a renewal, the bulk of due work, is this).
    live = after.state not in _TRIGGERS
    if live or any(
        r.subscription.state not in _TRIGGERS
        for r in ctx.repos.subscriptions.of_customer(customer_id)
    ):
        withdraw_retention(ctx, customer_id, at)
        return
    trigger = _TRIGGERS.get(after.state)
    if trigger is not None and after.state is not before:
        schedule_retention(ctx, customer_id, trigger, at)


def purge_due(action: ScheduledAction, ctx: Context) -> Done:
    """The ``personal_data_purge`` action: erase the profile if its schedule names this date."""
    customer_id = action.subject
    current = ctx.repos.personal.lock_schedule(customer_id)
    if (
        current is None
        or current.state is not ScheduleState.scheduled
        or current.purge_at != action.due_at
    ):
        return Done(ref=customer_id, details={Detail.outcome: "stale"})
    reason = ErasureReason(current.trigger.value)
    _erase(ctx, customer_id, action.due_at, reason, current.clause)
    ctx.repos.personal.save_schedule(
        replace(current, state=ScheduleState.purged, updated_at=ctx.now)
    )
    return Done(ref=customer_id, details={Detail.outcome: "purged"})


def _erase(
    ctx: Context, customer_id: str, at: datetime, reason: ErasureReason, clause: str | None
) -> None:
    """Blank the profile and record what went; nothing is recorded when nothing was held."""
    profile = ctx.repos.personal.profile(customer_id)
    if profile is None or not profile.held():
        return
    blank, erasure = erasure_of(profile, at, reason, clause)
    ctx.repos.personal.save_profile(blank)
    ctx.repos.personal.add_erasure(erasure)


# --- command handlers ----------------------------------------------------------------------


def record_customer_profile(cmd: c.RecordCustomerProfile, ctx: Context) -> Done:
    _require_customer(ctx, cmd.customer_id)
    profile = CustomerProfile(
        cmd.tenant_id, cmd.customer_id, cmd.name, cmd.email, cmd.phone, cmd.address, cmd.at
    )
    ctx.repos.personal.save_profile(profile)
    return Done(ref=cmd.customer_id)


def schedule_retention_cmd(cmd: c.ScheduleRetention, ctx: Context) -> Done:
    _require_customer(ctx, cmd.customer_id)
    found = schedule_retention(ctx, cmd.customer_id, cmd.trigger, cmd.at)
    if found is None:
        return Done(ref=cmd.customer_id, details={Detail.outcome: "no_period"})
    details = {Detail.outcome: "scheduled", Detail.valid_until: found.purge_at.isoformat()}
    return Done(ref=cmd.customer_id, details=details)


def withdraw_retention_cmd(cmd: c.WithdrawRetention, ctx: Context) -> Done:
    _require_customer(ctx, cmd.customer_id)
    found = withdraw_retention(ctx, cmd.customer_id, cmd.at)
    state = "none" if found is None else found.state.value
    return Done(ref=cmd.customer_id, details={Detail.outcome: state})


def erase_personal_data(cmd: c.ErasePersonalData, ctx: Context) -> Done:
    _require_customer(ctx, cmd.customer_id)
    _erase(ctx, cmd.customer_id, cmd.at, ErasureReason.request, None)
    return Done(ref=cmd.customer_id, details={Detail.outcome: "erased"})


def _require_customer(ctx: Context, customer_id: str) -> None:
    if ctx.repos.customers.get(customer_id) is None:
        raise not_found("customer", customer_id)
