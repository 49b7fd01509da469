"""Conek 5.2/5.3 in the pure core, on both sides of each rule: a discount lowers the next
renewals and never more; offers outside their window are refused; a second offer is refused
unless both offers say they combine; promotional credits lapse at the end of their period (not
before), and never roll into a paid plan on conversion or a plan change."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from refundable.billing.effects import ActionKind, NoticeKind, PostingKind
from refundable.billing.events import (
    ApplyPromotion,
    LapsePromotion,
    PaymentSucceeded,
    PeriodEnd,
    StartTrial,
    Subscribe,
    Upgrade,
)
from refundable.billing.policy import lifecycle_rules
from refundable.billing.promotions import Promotion
from refundable.billing.rules import Stacking
from refundable.billing.transitions import apply
from refundable.core.errors import InputError, TransitionRefused
from refundable.policy.loader import load_policy_text

from .support import GROWTH, SECOND, STARTER, T0, day, zar

FILE = Path(__file__).parents[3] / "src/refundable/policies/conek.yaml"
RULES = lifecycle_rules(load_policy_text(FILE.read_text(), "conek.yaml").document)
assert RULES is not None and RULES.promotions is not None
HALF = Promotion("HALF", discount_percent=Decimal(50), cycles=2)
R100 = Promotion("R100", discount_amount=zar("100.00"), combinable=True)
R50 = Promotion("R50", discount_amount=zar("50.00"), combinable=True)
BONUS = Promotion("BONUS", credits=zar("40.00"), credits_valid_days=30)


def paid():  # type: ignore[no-untyped-def]
    sub = apply(None, Subscribe(STARTER, key="c1"), T0, RULES)[0]
    return apply(sub, PaymentSucceeded(zar("310.00")), T0, RULES)[0]


def _charge(fx) -> list:  # type: ignore[no-untyped-def]
    return [p.amount for p in fx.postings if p.kind is PostingKind.charge]


def test_a_discount_lowers_the_next_renewals_for_its_cycles_then_ends() -> None:
    sub, fx = apply(paid(), ApplyPromotion(HALF), day(2), RULES)
    assert [n.clause for n in fx.notices if n.kind is NoticeKind.promotion_applied] == ["5.2"]
    charges = []
    for month in (31, 59, 90):  # the renewals of February, March, April
        sub, fx = apply(sub, PeriodEnd(), day(month), RULES)
        charges += _charge(fx)
        sub = apply(sub, PaymentSucceeded(sub.billing.balance_due), day(month), RULES)[0]
    assert charges == [zar("155.00"), zar("155.00"), zar("310.00")]


def test_an_offer_outside_its_window_is_refused_inside_it_is_taken() -> None:
    limited = replace(HALF, available_from=day(1), available_until=day(10))
    with pytest.raises(TransitionRefused, match="available from"):
        apply(paid(), ApplyPromotion(limited), day(1) - SECOND, RULES)
    with pytest.raises(TransitionRefused, match="ended"):
        apply(paid(), ApplyPromotion(limited), day(10), RULES)
    sub, _ = apply(paid(), ApplyPromotion(limited), day(10) - SECOND, RULES)
    assert [p.code for p in sub.promotions] == ["HALF"]


def test_offers_do_not_combine_unless_both_say_so() -> None:
    sub = apply(paid(), ApplyPromotion(HALF), day(1), RULES)[0]
    with pytest.raises(TransitionRefused, match=r"cannot be combined with HALF \(clause 5.2\)"):
        apply(sub, ApplyPromotion(R100), day(2), RULES)  # R100 combines, HALF does not
    sub = apply(paid(), ApplyPromotion(R100), day(1), RULES)[0]
    sub, _ = apply(sub, ApplyPromotion(R50), day(2), RULES)  # both say they combine
    sub, fx = apply(sub, PeriodEnd(), day(31), RULES)
    assert _charge(fx) == [zar("160.00")]  # 310 less 100 and 50
    with pytest.raises(TransitionRefused, match="already applied"):
        apply(sub, ApplyPromotion(R50), day(32), RULES)


def test_a_policy_that_never_combines_refuses_even_combinable_offers() -> None:
    assert RULES.promotions is not None
    never = replace(RULES, promotions=replace(RULES.promotions, stacking=Stacking.never))
    sub = apply(paid(), ApplyPromotion(R100), day(1), never)[0]
    with pytest.raises(TransitionRefused, match="cannot be combined"):
        apply(sub, ApplyPromotion(R50), day(2), never)


def test_a_discount_never_takes_a_charge_below_zero() -> None:
    big = Promotion("BIG", discount_amount=zar("500.00"))
    sub = apply(paid(), ApplyPromotion(big), day(1), RULES)[0]
    sub, fx = apply(sub, PeriodEnd(), day(31), RULES)
    assert _charge(fx) == [zar("0.00")] and sub.billing.balance_due == zar("0.00")


def test_promotional_credits_are_granted_and_lapse_at_the_end_of_their_period() -> None:
    sub, fx = apply(paid(), ApplyPromotion(BONUS), day(1), RULES)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.grant, zar("40.00"), "5.3")
    ]
    [lapse] = fx.actions
    assert (lapse.kind, lapse.due_at) == (ActionKind.promotion_lapse, day(31))
    same, fx = apply(sub, LapsePromotion(), day(31) - SECOND, RULES)
    assert fx.postings == () and same.promotions[0].credits == zar("40.00")  # not yet
    gone, fx = apply(sub, LapsePromotion(), day(31), RULES)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.forfeit, zar("40.00"), "5.3")
    ]
    assert gone.promotions[0].credits == zar("0.00") and gone.credits == sub.credits


def test_promotional_credits_never_roll_into_a_paid_plan() -> None:
    trial = apply(None, StartTrial("t1", STARTER, 14, zar("0")), T0, RULES)[0]
    trial = apply(trial, ApplyPromotion(BONUS), day(1), RULES)[0]
    paid_sub, fx = apply(trial, Subscribe(STARTER), day(5), RULES)
    assert (PostingKind.forfeit, zar("40.00"), "5.3") in [
        (p.kind, p.amount, p.clause) for p in fx.postings
    ]
    assert paid_sub.promotions[0].credits == zar("0.00")
    sub = apply(paid(), ApplyPromotion(BONUS), day(1), RULES)[0]
    _, fx = apply(sub, Upgrade(GROWTH), day(3), RULES)
    assert zar("40.00") in [p.amount for p in fx.postings if p.kind is PostingKind.forfeit]
    rolls = replace(RULES, promotions=replace(RULES.promotions, credits_roll_into_paid=True))
    kept, fx = apply(sub, Upgrade(GROWTH), day(3), rolls)
    assert kept.promotions[0].credits == zar("40.00")


def test_an_offer_needs_a_discount_or_credits_with_a_period() -> None:
    with pytest.raises(InputError):
        Promotion("NONE")
    with pytest.raises(InputError, match="promotional period"):
        Promotion("FOREVER", credits=zar("10.00"))
    with pytest.raises(InputError):
        Promotion("BOTH", discount_percent=Decimal(10), discount_amount=zar("5.00"))
    with pytest.raises(InputError):
        Promotion("TOO", discount_percent=Decimal(101))
