"""Small helpers the transition modules share: refusals, keys, starting a paid period."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NoReturn

from refundable.billing.effects import (
    ActionKind,
    Effects,
    Notice,
    NoticeKind,
    Posting,
    PostingKind,
    ScheduledAction,
)
from refundable.billing.plans import Plan, period_bounds
from refundable.billing.rules import LifecycleRules, TerminationRule, TrialRule
from refundable.billing.subscription import (
    AccessTimeline,
    AppliedPromotion,
    BillingState,
    BillingTimeline,
    CreditKind,
    Subscription,
)
from refundable.core.errors import InputError, TransitionRefused
from refundable.core.money import Money


def refuse(sub: Subscription | None, what: str, allowed: str) -> NoReturn:
    state = sub.state.value if sub is not None else "no subscription"
    raise TransitionRefused(f"{what} (subscription is {state})", where="event", allowed=allowed)


def require(sub: Subscription | None, what: str, *states: BillingState) -> Subscription:
    """``sub`` if it exists and is in one of ``states``; else a specific refusal."""
    if sub is None or sub.state not in states:
        refuse(sub, f"cannot {what}", "when " + " or ".join(s.value for s in states))
    return sub


def action(sub: Subscription, kind: ActionKind, due_at: datetime, clause: str) -> ScheduledAction:
    """A scheduled action whose key makes scheduling it twice harmless."""
    return ScheduledAction(kind, due_at, f"{sub.key}:{kind.value}:{due_at.isoformat()}", clause)


def after_days(at: datetime, days: int) -> datetime:
    return at + timedelta(days=days)


def check_plan(sub: Subscription, plan: Plan, rules: LifecycleRules) -> None:
    """A plan change keeps the currency and the cycle (a change of cycle is a new sale)."""
    if plan.currency != rules.currency or plan.cycle is not sub.plan.cycle:
        refuse(
            sub,
            f"plan {plan.code} is not a {sub.plan.cycle.name} plan in {rules.currency}",
            f"a {sub.plan.cycle.name} plan in {rules.currency}",
        )


def start_paid(
    key: str, plan: Plan, at: datetime, rules: LifecycleRules, account_credit: Money,
    promotions: tuple[AppliedPromotion, ...] = (),
) -> tuple[Subscription, Effects]:  # fmt: skip
    """A new paid subscription from ``at``: first period charged in advance, billing date set
    (less the discount of offers carried from a trial, Conek 5.2)."""
    if not key:
        raise TransitionRefused("a new subscription needs a key", where="event.key")
    if plan.currency != rules.currency:
        refuse(None, f"plan {plan.code} is in {plan.currency}", f"a plan in {rules.currency}")
    start, end = period_bounds(at, plan.cycle, 0)
    off, promotions = discount(promotions, plan.cycle_price)
    price = plan.cycle_price - off
    zero = Money.zero(plan.currency)
    billing = BillingTimeline(
        BillingState.active, at, 0, start, end, end, end, price, account_credit, price, price
    )
    credits = plan.included_credits or zero
    sub = Subscription(key, plan, AccessTimeline(at, end), billing, credits, CreditKind.plan, at,
                       promotions)  # fmt: skip
    clause = rules.billing_clause
    memo = f"{plan.code} {start:%Y-%m-%d}" + discount_memo(off, rules)
    postings = [Posting(PostingKind.charge, price, clause, memo)]
    if credits.is_positive:
        postings.append(Posting(PostingKind.grant, credits, clause, f"{plan.code} credits"))
    return sub, Effects(
        tuple(postings),
        (action(sub, ActionKind.renew, end, clause),),
        (Notice(NoticeKind.subscribed, clause, plan.code),),
    )


def forfeit(sub: Subscription, clause: str, memo: str) -> tuple[Subscription, Effects]:
    """Remove the credits held, recording their value as forfeited under ``clause``."""
    if not sub.credits.is_positive:
        return sub, Effects()
    posting = Posting(PostingKind.forfeit, sub.credits, clause, memo)
    return replace(sub, credits=Money.zero(sub.currency)), Effects(postings=(posting,))


def trial_rule(sub: Subscription | None, rules: LifecycleRules) -> TrialRule:
    """The policy's trial rule; a policy without one offers no trials."""
    if rules.trial is None:
        refuse(sub, "this policy offers no trials", "a paid subscription")
    return rules.trial


def termination_rule(sub: Subscription | None, rules: LifecycleRules) -> TerminationRule:
    """The policy's termination rule; a policy without one states no termination terms."""
    if rules.termination is None:
        refuse(sub, "this policy states no termination for violations", "a cancellation")
    return rules.termination


def discount(
    promotions: tuple[AppliedPromotion, ...], price: Money
) -> tuple[Money, tuple[AppliedPromotion, ...]]:
    """The promotional discount on one charge at ``price`` (Conek 5.2): the offers with
    cycles left, together never more than the price; and the offers with that cycle used."""
    zero, total, after = Money.zero(price.currency), Money.zero(price.currency), []
    for p in promotions:
        if p.cycles_left <= 0:
            after.append(p)
            continue
        off = p.discount_amount or zero
        if p.discount_percent is not None:
            off = (price * (p.discount_percent / Decimal(100))).round()
        total = total + off
        after.append(replace(p, cycles_left=p.cycles_left - 1))
    return total.min(price), tuple(after)


def discount_memo(off: Money, rules: LifecycleRules) -> str:
    if not off.is_positive or rules.promotions is None:
        return ""
    return f", less {off} promotional discount (clause {rules.promotions.clause})"


def require_amount(sub: Subscription, amount: Money, what: str) -> None:
    """An amount an event brings (a payment, a credit, a usage charge): positive and in the
    subscription's currency, else an input error naming it."""
    if amount.currency != sub.currency or not amount.is_positive:
        raise InputError(
            f"{what} of {amount}",
            where="event.amount",
            allowed=f"a positive amount in {sub.currency}",
        )
