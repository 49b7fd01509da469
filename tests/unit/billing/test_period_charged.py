"""What a period was charged bounds what comes back (ADR 0069): a period charged at a
promotional discount (Conek 5.2) is credited on a cooling-off cancellation, refunded on a
discontinuation (MyProtektor 10.2) and credited on a downgrade from what was charged for it,
never from the plan's list price; an undiscounted period gives back what it did before."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from refundable.billing.effects import PostingKind
from refundable.billing.events import (
    ApplyPromotion,
    Cancel,
    CancelMode,
    Discontinue,
    Downgrade,
    PaymentSucceeded,
    PeriodEnd,
    StartTrial,
    Subscribe,
    Upgrade,
)
from refundable.billing.plans import Cycle, Plan
from refundable.billing.policy import lifecycle_rules
from refundable.billing.promotions import Promotion
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import Subscription
from refundable.billing.transitions import apply
from refundable.policy.loader import load_policy_text

from .support import CONEK, STARTER, T0, day, zar

FILE = Path(__file__).parents[3] / "src/refundable/policies/myprotektor.yaml"
_MYP = lifecycle_rules(load_policy_text(FILE.read_text(), "myprotektor.yaml").document)
assert _MYP is not None
MYP = replace(_MYP, promotions=CONEK.promotions)  # MyProtektor 10.2 with offers running
COOLING = replace(
    CONEK, cancellation=replace(CONEK.cancellation, cooling_off_days=5, cooling_off_clause="10.2")
)
HALF = Promotion("HALF", discount_percent=Decimal(50), cycles=1)
FREE = Promotion("FREE", discount_percent=Decimal(100), cycles=1)
BASIC = Plan("basic", 1, Cycle.monthly, zar("310.00"))
ANALYST = Plan("analyst", 2, Cycle.monthly, zar("620.00"))
PRO = Plan("pro", 3, Cycle.monthly, zar("1000.00"))
HALF_OF, QUARTER = Decimal("0.5"), Decimal("0.25")
FEB = 31  # the second period runs 28 days from day 31 (1 February) to day 59 (1 March)


def _paid(sub: Subscription, at_day: float, rules: LifecycleRules) -> Subscription:
    if not sub.billing.balance_due.is_positive:
        return sub
    return apply(sub, PaymentSucceeded(sub.billing.balance_due), day(at_day), rules)[0]


def _amounts(fx, kind: PostingKind) -> list:  # type: ignore[no-untyped-def]
    return [p.amount for p in fx.postings if p.kind is kind]


# --- cooling-off (the whole first period comes back as credit) -------------------------------


def _converted(offer: Promotion | None) -> tuple[Subscription, list]:  # type: ignore[type-arg]
    sub = apply(None, StartTrial("c1", STARTER, 14, zar("0")), T0, COOLING)[0]
    if offer is not None:
        sub = apply(sub, ApplyPromotion(offer), day(1), COOLING)[0]
    sub, fx = apply(sub, Subscribe(STARTER), day(3), COOLING)
    return _paid(sub, 3, COOLING), _amounts(fx, PostingKind.charge)


def test_cooling_off_after_a_discounted_first_period_credits_the_discounted_charge() -> None:
    sub, charged = _converted(HALF)
    assert charged == [zar("155.00")] and sub.billing.period_charged == zar("155.00")
    _, fx = apply(sub, Cancel(CancelMode.cooling_off), day(4), COOLING)
    assert _amounts(fx, PostingKind.credit) == charged  # not the 310.00 list price


def test_cooling_off_after_an_undiscounted_first_period_credits_the_plan_price() -> None:
    sub, charged = _converted(None)
    _, fx = apply(sub, Cancel(CancelMode.cooling_off), day(4), COOLING)
    assert _amounts(fx, PostingKind.credit) == charged == [STARTER.cycle_price]


def test_cooling_off_after_an_upgrade_credits_the_period_charge_and_the_upgrade() -> None:
    sub, charged = _converted(HALF)
    sub, fx = apply(sub, Upgrade(replace(PRO, code="pro-zar")), day(5), COOLING)
    upgrade = _amounts(fx, PostingKind.charge)
    sub = _paid(sub, 5, COOLING)
    _, fx = apply(sub, Cancel(CancelMode.cooling_off), day(6), COOLING)
    assert _amounts(fx, PostingKind.credit) == [charged[0] + upgrade[0]]


# --- discontinuation (the unused part of the period comes back) ------------------------------


def _second_period(offer: Promotion | None) -> tuple[Subscription, list]:  # type: ignore[type-arg]
    sub = _paid(apply(None, Subscribe(ANALYST, key="m1"), T0, MYP)[0], 0, MYP)
    if offer is not None:
        sub = apply(sub, ApplyPromotion(offer), day(2), MYP)[0]
    sub, fx = apply(sub, PeriodEnd(), day(FEB), MYP)
    return _paid(sub, FEB, MYP), _amounts(fx, PostingKind.charge)


def test_discontinuing_a_discounted_period_refunds_the_unused_share_of_its_charge() -> None:
    sub, charged = _second_period(HALF)
    assert charged == [zar("155.00") * 2] and sub.billing.period_price == charged[0]
    _, fx = apply(sub, Discontinue("d1"), day(FEB + 14), MYP)  # half the period unused
    [due] = fx.refunds
    assert due.amount == charged[0] * HALF_OF  # 155.00, not half of the 620.00 list price


def test_discontinuing_an_undiscounted_period_refunds_half_the_plan_price() -> None:
    sub, charged = _second_period(None)
    _, fx = apply(sub, Discontinue("d1"), day(FEB + 14), MYP)
    [due] = fx.refunds
    assert due.amount == ANALYST.cycle_price * HALF_OF == charged[0] * HALF_OF


def test_after_an_upgrade_the_refund_prorates_the_discounted_price_moved_by_the_difference() -> (
    None
):
    sub, charged = _second_period(HALF)
    sub, fx = apply(sub, Upgrade(PRO), day(FEB + 14), MYP)
    difference = PRO.cycle_price - ANALYST.cycle_price
    assert _amounts(fx, PostingKind.charge) == [difference * HALF_OF]  # list prices, pro rata
    sub = _paid(sub, FEB + 14, MYP)
    assert sub.billing.period_charged == charged[0] + difference * HALF_OF
    _, fx = apply(sub, Discontinue("d1"), day(FEB + 21), MYP)  # a quarter unused
    [due] = fx.refunds
    assert due.amount == (charged[0] + difference) * QUARTER  # 172.50, not a quarter of 1000.00
    assert due.amount < sub.billing.period_charged


def test_a_downgrade_never_credits_more_than_the_rest_of_the_period_was_charged() -> None:
    sub, charged = _second_period(FREE)
    assert charged == [zar("0.00")]
    sub, fx = apply(sub, Downgrade(BASIC), day(FEB + 14), MYP)
    assert _amounts(fx, PostingKind.credit) == [] and sub.billing.account_credit == zar("0")
    sub, fx = apply(_second_period(HALF)[0], Downgrade(BASIC), day(FEB + 14), MYP)
    assert _amounts(fx, PostingKind.credit) == [zar("155.00")]  # half of 620 - 310


def test_an_undiscounted_downgrade_credits_half_the_difference() -> None:
    _, fx = apply(_second_period(None)[0], Downgrade(BASIC), day(FEB + 14), MYP)
    difference = ANALYST.cycle_price - BASIC.cycle_price
    assert _amounts(fx, PostingKind.credit) == [difference * HALF_OF]
