"""Trials, subscribing, plan changes and renewals: the transitions that keep billing going.

Upgrades take effect at once and charge the pro-rated difference, keeping the billing date;
downgrades wait for the end of the cycle or credit the difference, as the policy says.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.billing.common import (
    action,
    after_days,
    check_plan,
    discount,
    discount_memo,
    forfeit,
    refuse,
    require,
    start_paid,
    trial_rule,
)
from refundable.billing.effects import (
    ActionKind,
    Effects,
    Notice,
    NoticeKind,
    Posting,
    PostingKind,
)
from refundable.billing.events import Downgrade, StartTrial, Subscribe, Upgrade
from refundable.billing.plans import Plan, period_bounds
from refundable.billing.promotions import forfeit_on_change
from refundable.billing.proration import prorate, unused_charged
from refundable.billing.rules import DowngradeMode, LifecycleRules
from refundable.billing.subscription import (
    AccessTimeline,
    BillingState,
    BillingTimeline,
    CreditKind,
    Subscription,
)
from refundable.core.errors import InputError
from refundable.core.limits import MAX_LIFECYCLE_DAYS
from refundable.core.money import Money

_RUNNING = (BillingState.active,)


def start_trial(
    sub: Subscription | None, ev: StartTrial, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """A free trial: no card, no charge; its credits are held apart (trial kind)."""
    if sub is not None:
        refuse(sub, "a trial starts a new subscription", "on a customer with no subscription")
    if not 1 <= ev.trial_days <= MAX_LIFECYCLE_DAYS:
        raise InputError(
            f"{ev.trial_days} trial days",
            where="event.trial_days",
            allowed=f"1 to {MAX_LIFECYCLE_DAYS}",
        )
    end = after_days(at, ev.trial_days)
    zero = Money.zero(rules.currency)
    billing = BillingTimeline(
        BillingState.trialing, at, 0, at, end, None, end, zero, zero, zero, zero
    )
    new = Subscription(
        ev.key, ev.plan, AccessTimeline(at, end), billing, ev.trial_credits, CreditKind.trial, at
    )
    trial = trial_rule(sub, rules)
    postings: tuple[Posting, ...] = ()
    if ev.trial_credits.is_positive:
        postings = (Posting(PostingKind.grant, ev.trial_credits, trial.credits_clause, "trial"),)
    return new, Effects(
        postings,
        (action(new, ActionKind.trial_end, end, trial.clause),),
        (Notice(NoticeKind.trial_started, trial.clause, "no card required"),),
    )


def subscribe(
    sub: Subscription | None, ev: Subscribe, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """A paid subscription, new or at the end of a trial (trial credits never roll over)."""
    if sub is None:
        return start_paid(ev.key, ev.plan, at, rules, Money.zero(rules.currency))
    sub = require(sub, "subscribe", BillingState.trialing)
    effects, trial = Effects(), trial_rule(sub, rules)
    if not trial.credits_roll_into_paid:
        sub, effects = forfeit(sub, trial.credits_clause, "trial credits")
    sub, lapsed = forfeit_on_change(sub, rules, "do not roll into the paid plan")
    new, started = start_paid(
        sub.key, ev.plan, at, rules, sub.billing.account_credit, sub.promotions
    )
    return new, effects + lapsed + started


def upgrade(
    sub: Subscription | None, ev: Upgrade, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """At once: charge the pro-rated difference for the rest of the cycle, same billing date."""
    sub = require(sub, "upgrade", *_RUNNING)
    check_plan(sub, ev.plan, rules)
    if ev.plan.tier <= sub.plan.tier:
        refuse(sub, f"{ev.plan.code} is not a higher tier", "a plan of a higher tier")
    rule, bill = rules.upgrade, sub.billing
    difference = ev.plan.cycle_price - sub.plan.cycle_price
    charge = (
        prorate(difference, at, bill.period_start_at, bill.period_end_at)
        if rule.prorate_difference
        else difference.round()
    )
    effects = Effects()
    if not ev.plan.credits_carry_in:
        sub, effects = forfeit(sub, rule.clause, f"credits of {sub.plan.code}")
    sub, lapsed = forfeit_on_change(sub, rules, f"end with {sub.plan.code}")
    effects = effects + lapsed
    billing = replace(
        bill,
        balance_due=bill.balance_due + charge,
        pending_plan=None,
        period_price=bill.period_price + difference,
        period_charged=bill.period_charged + charge,
    )
    postings = (Posting(PostingKind.charge, charge, rule.clause, f"upgrade to {ev.plan.code}"),)
    notice = Notice(NoticeKind.upgraded, rule.clause, f"next billing {bill.period_end_at:%Y-%m-%d}")
    new = replace(sub, plan=ev.plan, billing=billing, credit_kind=CreditKind.plan)
    return new, effects + Effects(postings if charge.is_positive else (), (), (notice,))


def downgrade(
    sub: Subscription | None, ev: Downgrade, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """End of cycle without refund, or now with a pro-rata credit for the next cycle."""
    sub = require(sub, "downgrade", *_RUNNING)
    check_plan(sub, ev.plan, rules)
    if ev.plan.tier >= sub.plan.tier:
        refuse(sub, f"{ev.plan.code} is not a lower tier", "a plan of a lower tier")
    rule, bill = rules.downgrade, sub.billing
    if rule.mode is DowngradeMode.end_of_cycle_no_refund:
        new = replace(sub, billing=replace(bill, pending_plan=ev.plan))
        return new, Effects(
            (),
            (action(sub, ActionKind.plan_change, bill.period_end_at, rule.clause),),
            (Notice(NoticeKind.downgrade_scheduled, rule.clause, "no refund of the difference"),),
        )
    # The difference of plan prices for the rest of the cycle, but never more than what the
    # rest of the cycle was charged (a discounted period has less to give back; ADR 0069).
    difference = sub.plan.cycle_price - ev.plan.cycle_price
    credit = prorate(difference, at, bill.period_start_at, bill.period_end_at).min(
        unused_charged(bill, at)
    )
    billing = replace(
        bill,
        account_credit=bill.account_credit + credit,
        period_price=(bill.period_price - difference).max(Money.zero(bill.period_price.currency)),
        period_charged=bill.period_charged - credit,
    )
    posting = Posting(PostingKind.credit, credit, rule.clause, f"downgrade to {ev.plan.code}")
    effects = Effects()
    if not rule.credits_transfer:
        sub, effects = forfeit(sub, rule.clause, f"credits of {sub.plan.code}")
    sub, lapsed = forfeit_on_change(sub, rules, f"end with {sub.plan.code}")
    effects = effects + lapsed
    new = replace(sub, plan=ev.plan, billing=billing)
    notice = Notice(NoticeKind.downgraded, rule.clause, "credit applied to the next cycle")
    return new, effects + Effects((posting,) if credit.is_positive else (), (), (notice,))


def withdraw_downgrade(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    sub = require(sub, "withdraw a downgrade", *_RUNNING)
    if sub.billing.pending_plan is None:
        refuse(sub, "no downgrade is scheduled", "after a downgrade, before the cycle ends")
    new = replace(sub, billing=replace(sub.billing, pending_plan=None))
    notice = Notice(NoticeKind.downgrade_withdrawn, rules.downgrade.clause)
    return new, Effects(notices=(notice,))


def renew(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """The period ended: charge the next one (a scheduled downgrade applies first).

    A subscription reinstated after a suspension resumes at the period containing ``at``:
    periods spent suspended are neither charged nor refunded.
    """
    sub = require(
        sub, "renew", BillingState.active, BillingState.past_due, BillingState.cancel_pending
    )
    bill = sub.billing
    if at < bill.period_end_at:
        refuse(sub, "the period has not ended", f"at or after {bill.period_end_at.isoformat()}")
    effects = Effects()
    if bill.pending_plan is not None:
        sub, effects = _apply_pending_downgrade(sub, bill.pending_plan, rules)
    index = bill.period_index + 1
    start, end = period_bounds(bill.anchor_at, sub.plan.cycle, index)
    while end <= at:
        index += 1
        start, end = period_bounds(bill.anchor_at, sub.plan.cycle, index)
    off, promotions = discount(sub.promotions, sub.plan.cycle_price)
    price = sub.plan.cycle_price - off
    applied = bill.account_credit.min(price)
    billing = replace(
        sub.billing,
        period_index=index,
        period_start_at=start,
        period_end_at=end,
        next_renewal_at=end if bill.cancel_at is None else None,
        charged_through_at=end,
        balance_due=bill.balance_due + price - applied,
        account_credit=bill.account_credit - applied,
        period_price=price,
        period_charged=price,
    )
    access = AccessTimeline(max(sub.access.from_at, start), end, sub.access.blocked_by)
    new = replace(sub, billing=billing, access=access, promotions=promotions)
    clause = rules.billing_clause
    memo = f"{sub.plan.code} {start:%Y-%m-%d}" + discount_memo(off, rules)
    return new, effects + Effects(
        (Posting(PostingKind.charge, price, clause, memo),),
        (action(new, ActionKind.renew, end, clause),),
        (Notice(NoticeKind.renewed, clause, f"through {end:%Y-%m-%d}"),),
    )


def _apply_pending_downgrade(
    sub: Subscription, pending: Plan, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    rule = rules.downgrade
    effects = Effects()
    if not rule.credits_transfer:
        sub, effects = forfeit(sub, rule.clause, f"credits of {sub.plan.code}")
    sub, lapsed = forfeit_on_change(sub, rules, f"end with {sub.plan.code}")
    effects = effects + lapsed
    new = replace(sub, plan=pending, billing=replace(sub.billing, pending_plan=None))
    notice = Notice(NoticeKind.downgraded, rule.clause, pending.code)
    return new, effects + Effects(notices=(notice,))
