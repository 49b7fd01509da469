"""Conek: trials (5.1), subscribing, upgrades (6.2), downgrades (6.1), renewals."""

import pytest

from refundable.billing.effects import ActionKind, NoticeKind, PostingKind
from refundable.billing.entitlement import can_use
from refundable.billing.events import (
    Downgrade,
    PeriodEnd,
    StartTrial,
    Subscribe,
    Upgrade,
    WithdrawDowngrade,
)
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import TransitionRefused

from .support import (
    CONEK,
    GROWTH,
    GROWTH_KEEPS,
    SCALE,
    SECOND,
    STARTER,
    T0,
    day,
    zar,
)


def subscribed():
    return apply(None, Subscribe(STARTER, key="c1"), T0, CONEK)[0]


def test_subscribe_charges_first_cycle_in_advance() -> None:
    sub, fx = apply(None, Subscribe(STARTER, key="c1"), T0, CONEK)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.charge, zar("310.00"), "3.2"),
        (PostingKind.grant, zar("50.00"), "3.2"),
    ]
    assert sub.billing.next_renewal_at == day(31) == sub.access.until_at
    assert fx.actions[0].kind is ActionKind.renew and fx.actions[0].due_at == day(31)


def test_trial_needs_no_charge_and_ends_without_one() -> None:
    sub, fx = apply(None, StartTrial("c1", STARTER, 14, zar("20.00")), T0, CONEK)
    assert {p.kind for p in fx.postings} == {PostingKind.grant}
    assert sub.state is BillingState.trialing and can_use(sub, "messaging", day(14) - SECOND, CONEK)
    ended, fx = apply(sub, PeriodEnd(), day(14), CONEK)
    assert ended.state is BillingState.cancelled
    assert not any(p.kind is PostingKind.charge for p in fx.postings)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.forfeit, zar("20.00"), "5.1")
    ]
    assert not can_use(ended, "messaging", day(14), CONEK)


def test_trial_ending_early_is_refused() -> None:
    sub, _ = apply(None, StartTrial("c1", STARTER, 14, zar("20.00")), T0, CONEK)
    with pytest.raises(TransitionRefused):
        apply(sub, PeriodEnd(), day(14) - SECOND, CONEK)


def test_trial_credits_never_roll_into_paid() -> None:
    sub, _ = apply(None, StartTrial("c1", STARTER, 14, zar("20.00")), T0, CONEK)
    paid, fx = apply(sub, Subscribe(STARTER), day(5), CONEK)
    assert fx.postings[0].kind is PostingKind.forfeit and fx.postings[0].amount == zar("20.00")
    assert paid.credits == zar("50.00") and paid.state is BillingState.active


def test_upgrade_charges_prorated_difference_and_keeps_billing_date() -> None:
    sub, fx = apply(subscribed(), Upgrade(GROWTH), day(10.5), CONEK)
    charge = [p for p in fx.postings if p.kind is PostingKind.charge]
    assert [(p.amount, p.clause) for p in charge] == [(zar("205.00"), "6.2")]
    assert sub.billing.next_renewal_at == day(31) and sub.plan is GROWTH
    assert sub.billing.balance_due == zar("515.00")


def test_upgrade_forfeits_credits_unless_new_plan_keeps_them() -> None:
    _, fx = apply(subscribed(), Upgrade(GROWTH), day(1), CONEK)
    assert [(p.kind, p.amount) for p in fx.postings if p.kind is PostingKind.forfeit] == [
        (PostingKind.forfeit, zar("50.00"))
    ]
    kept, fx = apply(subscribed(), Upgrade(GROWTH_KEEPS), day(1), CONEK)
    assert kept.credits == zar("50.00") and not any(
        p.kind is PostingKind.forfeit for p in fx.postings
    )


def test_upgrade_to_same_or_lower_tier_refused() -> None:
    with pytest.raises(TransitionRefused, match="not a higher tier"):
        apply(subscribed(), Upgrade(STARTER), day(1), CONEK)


def test_downgrade_waits_for_end_of_cycle_without_refund() -> None:
    sub = apply(subscribed(), Upgrade(SCALE), day(1), CONEK)[0]
    sub, fx = apply(sub, Downgrade(GROWTH), day(2), CONEK)
    assert fx.postings == () and sub.plan is SCALE
    assert fx.actions[0].kind is ActionKind.plan_change and fx.actions[0].due_at == day(31)
    renewed, fx = apply(sub, PeriodEnd(), day(31), CONEK)
    assert renewed.plan is GROWTH
    assert [p.amount for p in fx.postings if p.kind is PostingKind.charge] == [zar("620.00")]
    assert NoticeKind.downgraded in {n.kind for n in fx.notices}


def test_downgrade_withdrawn_before_cycle_end_keeps_plan() -> None:
    sub = apply(subscribed(), Upgrade(SCALE), day(1), CONEK)[0]
    sub = apply(sub, Downgrade(GROWTH), day(2), CONEK)[0]
    sub = apply(sub, WithdrawDowngrade(), day(31) - SECOND, CONEK)[0]
    renewed, fx = apply(sub, PeriodEnd(), day(31), CONEK)
    assert renewed.plan is SCALE and fx.postings[0].amount == zar("1000.00")
    with pytest.raises(TransitionRefused, match="no downgrade"):
        apply(renewed, WithdrawDowngrade(), day(32), CONEK)


def test_renewal_before_period_end_refused() -> None:
    with pytest.raises(TransitionRefused, match="not ended"):
        apply(subscribed(), PeriodEnd(), day(31) - SECOND, CONEK)


def test_events_out_of_order_refused() -> None:
    sub = apply(subscribed(), Upgrade(GROWTH), day(3), CONEK)[0]
    with pytest.raises(TransitionRefused, match="time order"):
        apply(sub, Downgrade(STARTER), day(2), CONEK)
