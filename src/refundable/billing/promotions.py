"""Promotional offers (Conek 5.2 discounts, 5.3 credits), run by the policy's ``promotions``.

An offer is the tenant's data, like a plan: a discount (a percentage or an amount off each of
the next ``cycles`` renewals), promotional credits valid for ``credits_valid_days``, a window in
which it is available, and whether its terms say it combines with other offers. The policy
decides the rest: whether offers combine at all (``stacking``), and whether promotional credits
survive a change of plan or a trial's conversion (never, for Conek). A discount is a lower
price, never a payment, so there is nothing of it to refund; promotional credits are value
held for the service (deferred revenue, like a plan's credits), never money: they lapse at
the end of their promotional period as breakage, and no transition pays them out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NoReturn

from refundable.billing.common import action, forfeit, refuse, require
from refundable.billing.effects import (
    ActionKind,
    Effects,
    Notice,
    NoticeKind,
    Posting,
    PostingKind,
)
from refundable.billing.rules import LifecycleRules, PromotionRule, Stacking
from refundable.billing.subscription import AppliedPromotion, BillingState, Subscription
from refundable.core.errors import InputError
from refundable.core.limits import MAX_LIFECYCLE_DAYS
from refundable.core.money import Money

MAX_PROMOTION_CYCLES = 120
_APPLICABLE = (
    BillingState.trialing,
    BillingState.active,
    BillingState.past_due,
    BillingState.cancel_pending,
)


@dataclass(frozen=True, slots=True)
class Promotion:
    """One offer as the tenant publishes it (its own terms, 5.2 "specific terms")."""

    code: str
    discount_percent: Decimal | None = None
    discount_amount: Money | None = None
    cycles: int = 1
    credits: Money | None = None
    credits_valid_days: int | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    combinable: bool = False  # the offer's terms state that it combines (5.2 "unless stated")

    def __post_init__(self) -> None:
        what = f"promotion {self.code}"
        both = self.discount_percent is not None and self.discount_amount is not None
        if both or not (self.has_discount or self.credits is not None):
            _bad(what, "promotion", "a percent or an amount off, and/or promotional credits")
        pct = self.discount_percent
        if pct is not None and not Decimal(0) < pct <= 100:
            _bad(f"{what}: {pct}% off", "promotion.discount_percent", "more than 0, at most 100")
        if self.discount_amount is not None and not self.discount_amount.is_positive:
            _bad(f"{what}: {self.discount_amount} off", "promotion.discount_amount", "above 0")
        if not 1 <= self.cycles <= MAX_PROMOTION_CYCLES:
            _bad(f"{what}: {self.cycles} cycles", "promotion.cycles",
                 f"1 to {MAX_PROMOTION_CYCLES}")  # fmt: skip
        days = self.credits_valid_days
        if self.credits is not None and (
            not self.credits.is_positive or days is None or not 1 <= days <= MAX_LIFECYCLE_DAYS
        ):
            _bad(f"{what}: promotional credits need a positive amount and a promotional period "
                 "(5.3: used within it, then they lapse)", "promotion.credits_valid_days",
                 f"1 to {MAX_LIFECYCLE_DAYS} days")  # fmt: skip

    @property
    def has_discount(self) -> bool:
        return self.discount_percent is not None or self.discount_amount is not None


def _bad(what: str, where: str, allowed: str) -> NoReturn:
    raise InputError(what, where=where, allowed=allowed)


def promotion_rule(sub: Subscription | None, rules: LifecycleRules) -> PromotionRule:
    if rules.promotions is None:
        refuse(sub, "this policy offers no promotions", "a subscription without an offer")
    return rules.promotions


def apply_promotion(
    sub: Subscription | None, promo: Promotion, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Put an offer on a subscription: available now, and combined only as the policy and
    the offers' own terms allow (5.2); its credits are granted until they lapse (5.3)."""
    rule = promotion_rule(sub, rules)
    sub = require(sub, "apply a promotion", *_APPLICABLE)
    start, stop = promo.available_from, promo.available_until
    if start is not None and at < start:
        refuse(sub, f"offer {promo.code} is available from {start.isoformat()}",
               f"on or after {start.isoformat()} (clause {rule.clause})")  # fmt: skip
    if stop is not None and at >= stop:
        refuse(sub, f"offer {promo.code} ended at {stop.isoformat()}",
               f"before {stop.isoformat()} (clause {rule.clause})")  # fmt: skip
    _check_stacking(sub, promo, rule)
    credits = promo.credits or Money.zero(sub.currency)
    until = None if promo.credits is None else at + timedelta(days=promo.credits_valid_days or 0)
    applied = AppliedPromotion(
        promo.code, at, promo.discount_percent, promo.discount_amount,
        promo.cycles if promo.has_discount else 0, credits, until, promo.combinable,
    )  # fmt: skip
    new = replace(sub, promotions=(*sub.promotions, applied))
    postings, actions = [], []
    if credits.is_positive and until is not None:
        memo = f"promotional credits {promo.code}"
        postings.append(Posting(PostingKind.grant, credits, rule.credits_clause, memo))
        actions.append(action(new, ActionKind.promotion_lapse, until, rule.credits_clause))
    notice = Notice(NoticeKind.promotion_applied, rule.clause, _describe(applied))
    return new, Effects(tuple(postings), tuple(actions), (notice,))


def _check_stacking(sub: Subscription, promo: Promotion, rule: PromotionRule) -> None:
    running = [p for p in sub.promotions if p.running]
    if any(p.code == promo.code for p in sub.promotions):
        refuse(sub, f"offer {promo.code} was already applied", "an offer not used before")
    if not running or rule.stacking is Stacking.always:
        return
    if (
        rule.stacking is Stacking.when_offer_states
        and promo.combinable
        and all(p.combinable for p in running)
    ):
        return
    names = ", ".join(p.code for p in running)
    refuse(sub, f"offer {promo.code} cannot be combined with {names} (clause {rule.clause})",
           "one offer at a time, unless every offer's terms say it combines")  # fmt: skip


def lapse_promotion(
    sub: Subscription | None, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """Promotional periods that are over: what is left of those offers' credits lapses
    (5.3); nothing of them is paid out. A lapse after the credits went changes nothing."""
    rule = promotion_rule(sub, rules)
    if sub is None:
        refuse(sub, "no subscription", "an existing subscription")
    over = tuple(
        p.code
        for p in sub.promotions
        if p.credits.is_positive and p.credits_until is not None and p.credits_until <= at
    )
    if not over:
        return sub, Effects()
    return _drop_credits(sub, over, rule.credits_clause, "lapsed")


def forfeit_on_change(
    sub: Subscription, rules: LifecycleRules, why: str
) -> tuple[Subscription, Effects]:
    """A change of plan or a trial's conversion: promotional credits do not roll into the
    paid plan unless the policy says they do (5.3 with 5.1)."""
    rule = rules.promotions
    if rule is None or rule.credits_roll_into_paid:
        return sub, Effects()
    held = tuple(p.code for p in sub.promotions if p.credits.is_positive)
    return _drop_credits(sub, held, rule.credits_clause, why) if held else (sub, Effects())


def _drop_credits(
    sub: Subscription, codes: tuple[str, ...], clause: str, why: str
) -> tuple[Subscription, Effects]:
    zero = Money.zero(sub.currency)
    total = sum((p.credits for p in sub.promotions if p.code in codes), zero)
    kept = tuple(replace(p, credits=zero) if p.code in codes else p for p in sub.promotions)
    held = replace(sub, credits=total, promotions=kept)  # forfeit() removes ``credits``
    gone, effects = forfeit(held, clause, f"promotional credits {', '.join(codes)} {why}")
    notice = Notice(NoticeKind.promotion_ended, clause, f"{total} promotional credits {why}")
    return replace(gone, credits=sub.credits), effects + Effects(notices=(notice,))


def _describe(p: AppliedPromotion) -> str:
    parts = []
    if p.discount_percent is not None:
        parts.append(f"{p.discount_percent}% off {p.cycles_left} renewal(s)")
    if p.discount_amount is not None:
        parts.append(f"{p.discount_amount} off {p.cycles_left} renewal(s)")
    if p.credits.is_positive and p.credits_until is not None:
        parts.append(f"{p.credits} credits until {p.credits_until:%Y-%m-%d}")
    return p.code + ": " + "; ".join(parts)
