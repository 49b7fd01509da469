"""Handlers for subscription commands. Each has the same shape: load (and lock) the
subscription, ask the policy in force at the command's instant for its lifecycle rules, call
the pure ``billing.apply``, and write everything it decided in the bus's transaction
(``subscription_effects.write_change``). Idempotency is the bus's.

:func:`apply_event` is the same step for any billing event and is meant to be called from
other handlers too (a case handler suspending or terminating an account, ADR 0046).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.billing import events as ev
from refundable.billing.effects import Effects
from refundable.billing.plans import Plan
from refundable.billing.policy import lifecycle_rules
from refundable.billing.records import SubscriptionRecord
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import ENDED, Subscription
from refundable.billing.transitions import apply
from refundable.core.errors import Conflict, InputError, TransitionRefused
from refundable.core.money import Money
from refundable.ledger import payments
from refundable.ledger.entries import JournalEntry
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done, not_found
from refundable.service.subscription_effects import Change, store, write_change


def rules_at(ctx: Context, at: datetime) -> LifecycleRules:
    """The lifecycle rules of the tenant's policy in force at ``at``."""
    policy = ctx.policy(at)
    rules = lifecycle_rules(policy.document)
    if rules is None:
        raise Conflict(
            f"policy {policy.id} {policy.document.version} has no lifecycle section",
            where="tenant_id",
            allowed="a tenant whose policy in force has a lifecycle: section",
        )
    return rules


def load(ctx: Context, subscription_id: str) -> SubscriptionRecord:
    """The subscription, locked for this transaction."""
    rec = ctx.repos.subscriptions.lock(subscription_id)
    if rec is None:
        raise not_found("subscription", subscription_id)
    return rec


def plan_of(ctx: Context, plan_id: str, at: datetime | None = None) -> Plan:
    """The plan; with ``at``, one still sold then: a plan (or service) announced to end is
    not sold from the announcement on (MyProtektor 10.2), so nobody joins inside the notice."""
    plan = ctx.repos.subscriptions.plan(plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    if at is not None:
        for d in ctx.repos.subscriptions.discontinuations():
            if d.covers(plan.code) and d.announced_at <= at:
                raise TransitionRefused(
                    f"plan {plan.code} is discontinued from {d.effective_at.isoformat()} "
                    f"(announced {d.announced_at.isoformat()}, clause {d.clause})",
                    where="plan_id",
                    allowed="a plan that is not being discontinued",
                )
    return plan


def done(ch: Change, entries: list[JournalEntry]) -> Done:
    sub = ch.after
    return Done.of(
        entries,
        ch.subscription_id,
        {
            Detail.subscription_id: ch.subscription_id,
            Detail.customer_id: ch.customer_id,
            Detail.state: sub.state.value,
            Detail.access_until: sub.access.until_at.isoformat(),
            Detail.balance_due: str(sub.billing.balance_due.amount),
        },
    )


def apply_event(
    ctx: Context, rec: SubscriptionRecord, event: ev.Event, at: datetime, actor: str
) -> Done:
    """One billing event on a stored subscription (locked by the caller via :func:`load`)."""
    after, effects = apply(rec.subscription, event, at, rules_at(ctx, at))
    ch = Change(rec.subscription_id, rec.customer_id, rec, after, effects,
                type(event).__name__, at, actor)  # fmt: skip
    return done(ch, write_change(ctx, ch))


def unchanged(before: Subscription, after: Subscription, effects: Effects) -> bool:
    """The event changed nothing (a stale scheduled action): nothing to write."""
    return effects == Effects() and replace(after, updated_at=before.updated_at) == before


# --- commands ---------------------------------------------------------------------------------


def define_plan(cmd: c.DefinePlan, ctx: Context) -> Done:
    plan = Plan(
        cmd.plan_id, cmd.tier, cmd.cycle, cmd.price, cmd.seats_max,
        included_credits=cmd.included_credits, credits_carry_in=cmd.credits_carry_in,
        notice_days=cmd.notice_days, features=frozenset(cmd.features), usage=cmd.usage,
    )  # fmt: skip
    ctx.repos.subscriptions.add_plan(plan)
    return Done(ref=cmd.plan_id)


def start_trial(cmd: c.StartTrial, ctx: Context) -> Done:
    plan = plan_of(ctx, cmd.plan_id, cmd.at)
    credits = cmd.trial_credits or Money.zero(plan.currency)
    event = ev.StartTrial(cmd.subscription_id, plan, cmd.trial_days, credits)
    return _new(ctx, cmd.subscription_id, cmd.customer_id, event, cmd.at, cmd.actor_id)


def subscribe(cmd: c.Subscribe, ctx: Context) -> Done:
    event = ev.Subscribe(plan_of(ctx, cmd.plan_id, cmd.at), cmd.subscription_id)
    rec = ctx.repos.subscriptions.lock(cmd.subscription_id)
    if rec is None:
        return _new(ctx, cmd.subscription_id, cmd.customer_id, event, cmd.at, cmd.actor_id)
    if rec.customer_id != cmd.customer_id:
        raise InputError(
            f"subscription {cmd.subscription_id!r} belongs to another customer",
            where="Subscribe.customer_id",
            allowed=f"{rec.customer_id!r}, or a new subscription id",
        )
    return apply_event(ctx, rec, event, cmd.at, cmd.actor_id)


def _new(ctx: Context, sid: str, customer: str, event: ev.Event, at: datetime, actor: str) -> Done:
    if ctx.repos.subscriptions.get(sid) is not None:
        raise Conflict(f"subscription {sid!r} exists", where="subscription_id",
                       allowed="a new subscription id")  # fmt: skip
    after, effects = apply(None, event, at, rules_at(ctx, at))
    ch = Change(sid, customer, None, after, effects, type(event).__name__, at, actor)
    return done(ch, write_change(ctx, ch))


def upgrade_plan(cmd: c.UpgradePlan, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    event = ev.Upgrade(plan_of(ctx, cmd.plan_id, cmd.at))
    return apply_event(ctx, rec, event, cmd.at, cmd.actor_id)


def downgrade_plan(cmd: c.DowngradePlan, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    event = ev.Downgrade(plan_of(ctx, cmd.plan_id, cmd.at))
    return apply_event(ctx, rec, event, cmd.at, cmd.actor_id)


def withdraw_downgrade(cmd: c.WithdrawDowngrade, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    return apply_event(ctx, rec, ev.WithdrawDowngrade(), cmd.at, cmd.actor_id)


def cancel_subscription(cmd: c.CancelSubscription, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    return apply_event(ctx, rec, ev.Cancel(cmd.mode, cmd.notice_at), cmd.at, cmd.actor_id)


def undo_cancellation(cmd: c.UndoCancellation, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    return apply_event(ctx, rec, ev.UndoCancel(), cmd.at, cmd.actor_id)


def terminate_subscription(cmd: c.TerminateSubscription, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    return apply_event(ctx, rec, ev.Terminate(cmd.reason), cmd.at, cmd.actor_id)


def suspend_subscription(cmd: c.SuspendSubscription, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    return apply_event(ctx, rec, ev.Suspend(), cmd.at, cmd.actor_id)


def record_payment_failure(cmd: c.RecordPaymentFailure, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    return apply_event(ctx, rec, ev.PaymentFailed(), cmd.at, cmd.actor_id)


def reactivate_subscription(cmd: c.ReactivateSubscription, ctx: Context) -> Done:
    """Back after a cancellation: the old subscription resumes, or (Conek 3.4) a new one
    starts under ``new_subscription_id`` and the old one keeps its history, credits gone."""
    rec = load(ctx, cmd.subscription_id)
    new_id = cmd.new_subscription_id or ""
    event = ev.Reactivate(plan_of(ctx, cmd.plan_id, cmd.at), new_id)
    try:
        after, effects = apply(rec.subscription, event, cmd.at, rules_at(ctx, cmd.at))
    except TransitionRefused as refused:
        if refused.where != "event.key":
            raise
        raise InputError(  # the policy starts a new subscription (Conek 3.4) and none was named
            "under this policy a reactivation starts a new subscription, which needs an id",
            where="ReactivateSubscription.new_subscription_id",
            allowed="new_subscription_id: an id for the new subscription (the old one keeps "
            "its history)",
        ) from None
    if after.key == rec.subscription_id:
        ch = Change(rec.subscription_id, rec.customer_id, rec, after, effects, "Reactivate",
                    cmd.at, cmd.actor_id)  # fmt: skip
        return done(ch, write_change(ctx, ch))
    if ctx.repos.subscriptions.get(after.key) is not None:
        raise Conflict(f"subscription {after.key!r} exists",
                       where="ReactivateSubscription.new_subscription_id",
                       allowed="a new subscription id")  # fmt: skip
    old = rec.subscription
    ended = replace(old, credits=Money.zero(old.currency), updated_at=cmd.at)
    store(ctx, Change(rec.subscription_id, rec.customer_id, rec, ended, Effects(),
                      f"ReactivatedAs:{after.key}"[:32], cmd.at, cmd.actor_id))  # fmt: skip
    ch = Change(after.key, rec.customer_id, None, after, effects, "Reactivate", cmd.at,
                cmd.actor_id, credit_before=old.billing.account_credit)  # fmt: skip
    return done(ch, write_change(ctx, ch))


def define_promotion(cmd: c.DefinePromotion, ctx: Context) -> Done:
    ctx.repos.subscriptions.add_promotion(cmd.promotion())
    return Done(ref=cmd.promotion_id)


def apply_promotion(cmd: c.ApplyPromotion, ctx: Context) -> Done:
    rec = load(ctx, cmd.subscription_id)
    promo = ctx.repos.subscriptions.promotion(cmd.promotion_id)
    if promo is None:
        raise not_found("promotion", cmd.promotion_id)
    return apply_event(ctx, rec, ev.ApplyPromotion(promo), cmd.at, cmd.actor_id)


def record_renewal_payment(cmd: c.RecordRenewalPayment, ctx: Context) -> Done:
    """The payment enters the ledger against the receivable; what exceeds the balance due
    becomes account credit; paying everything owed ends dunning and lifts a suspension."""
    rec = load(ctx, cmd.subscription_id)
    bill = rec.subscription.billing
    event = ev.PaymentSucceeded(cmd.amount)
    after, effects = apply(rec.subscription, event, cmd.at, rules_at(ctx, cmd.at))
    paid, e = payments.pay(
        ctx.entry_id(), cmd.tenant_id, cmd.payment_id, rec.customer_id, cmd.amount,
        cmd.method, cmd.provider, cmd.at,
    )  # fmt: skip
    ctx.post([e])
    ctx.repos.payments.add(paid)
    overpaid = cmd.amount - cmd.amount.min(bill.balance_due)
    ch = Change(rec.subscription_id, rec.customer_id, rec, after, effects, "PaymentSucceeded",
                cmd.at, cmd.actor_id, overpaid=overpaid)  # fmt: skip
    entries = write_change(ctx, ch, first_entry=1)
    result = done(ch, [e, *entries])
    return replace(result, details={**result.details, Detail.payment_id: cmd.payment_id})


def credit_subscriber(
    ctx: Context, customer_id: str, amount: Money, at: datetime, actor: str
) -> list[JournalEntry]:
    """Tell the customer's live subscription in ``amount``'s currency about account credit
    that is already on the ledger (a refund case's remedy): it pays down what is owed and the
    rest is drawn on by the next charge (issue 10 item 5). Without such a subscription the
    credit simply waits on the ledger. The entries written: the credit applied to what is
    owed, if anything was."""
    found = live_subscription(ctx, customer_id, amount.currency)
    if found is None:
        return []
    rec = load(ctx, found)
    before = rec.subscription.billing.account_credit
    after, effects = apply(rec.subscription, ev.AccountCredited(amount), at, rules_at(ctx, at))
    ch = Change(rec.subscription_id, customer_id, rec, after, effects, "AccountCredited", at,
                actor, credit_before=before + amount)  # fmt: skip
    return write_change(ctx, ch, first_entry=_CREDIT_ENTRIES)


def live_subscription(ctx: Context, customer_id: str, currency: str) -> str | None:
    """The id of the customer's newest subscription in ``currency`` that has not ended."""
    for found in ctx.repos.subscriptions.of_customer(customer_id):
        sub = found.subscription
        if sub.currency == currency and sub.state not in ENDED:
            return found.subscription_id
    return None


_CREDIT_ENTRIES = 50  # entry numbers of the command used from here (the case's come first)
