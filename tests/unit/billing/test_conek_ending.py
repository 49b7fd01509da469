"""Conek: cancellation (3.2), suspension (7.1), termination (7.2), reactivation (3.4)."""

from dataclasses import replace

import pytest

from refundable.billing.effects import ActionKind, NoticeKind, PostingKind
from refundable.billing.entitlement import can_use
from refundable.billing.events import (
    Cancel,
    CancelMode,
    GraceEnded,
    PaymentFailed,
    PaymentSucceeded,
    PeriodEnd,
    Reactivate,
    Subscribe,
    Terminate,
    UndoCancel,
)
from refundable.billing.rules import CancellationRule, SuspensionRule
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import TransitionRefused

from .support import ANNUAL, CONEK, GROWTH, SECOND, STARTER, T0, day, zar


def subscribed(plan=STARTER, rules=CONEK):
    sub = apply(None, Subscribe(plan, key="c1"), T0, rules)[0]
    return apply(sub, PaymentSucceeded(plan.cycle_price), T0, rules)[0]


def test_cancel_keeps_access_to_end_of_paid_period() -> None:
    sub, fx = apply(subscribed(), Cancel(), day(3), CONEK)
    assert sub.state is BillingState.cancel_pending and sub.billing.next_renewal_at is None
    assert fx.postings == () and fx.notices[0].clause == "3.2"
    assert can_use(sub, "messaging", day(31) - SECOND, CONEK)
    ended, fx = apply(sub, PeriodEnd(), day(31), CONEK)
    assert ended.state is BillingState.cancelled and fx.postings == ()
    assert not can_use(ended, "messaging", day(31), CONEK)
    purge = [a for a in fx.actions if a.kind is ActionKind.retention_purge]
    assert [(a.due_at, a.clause) for a in purge] == [(day(31 + 180), "3.4")]


def test_pending_cancellation_undone_before_it_takes_effect() -> None:
    sub = apply(subscribed(), Cancel(), day(3), CONEK)[0]
    undone = apply(sub, UndoCancel(), day(31) - SECOND, CONEK)[0]
    assert undone.state is BillingState.active and undone.billing.next_renewal_at == day(31)
    renewed, fx = apply(undone, PeriodEnd(), day(31), CONEK)
    assert renewed.state is BillingState.active and fx.postings[0].amount == zar("310.00")


def test_undo_after_cancellation_took_effect_refused() -> None:
    sub = apply(subscribed(), Cancel(), day(3), CONEK)[0]
    ended = apply(sub, PeriodEnd(), day(31), CONEK)[0]
    with pytest.raises(TransitionRefused):
        apply(ended, UndoCancel(), day(31), CONEK)


def test_immediate_cancellation_not_offered_by_conek() -> None:
    with pytest.raises(TransitionRefused, match="no immediate"):
        apply(subscribed(), Cancel(CancelMode.immediate), day(3), CONEK)


def test_immediate_cancellation_posts_named_early_termination_charge() -> None:
    rules = replace(
        CONEK,
        cancellation=CancellationRule(
            "3.2", early_termination_charge=zar("150.00"), immediate_clause="9.9"
        ),
    )
    sub, fx = apply(subscribed(rules=rules), Cancel(CancelMode.immediate), day(3), rules)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.charge, zar("150.00"), "9.9")
    ]
    assert sub.state is BillingState.cancelled and not can_use(sub, "messaging", day(3), rules)


# MyProtektor-style annual notice (30 days), to show both sides of the boundary.
NOTICE30 = replace(CONEK, cancellation=CancellationRule("5.2", annual_notice_days=30))


@pytest.mark.parametrize(("days_before", "deferred"), [(30, False), (29, True)])
def test_annual_notice_window_boundary(days_before: int, deferred: bool) -> None:
    sub = subscribed(ANNUAL, NOTICE30)
    renewal = sub.billing.period_end_at
    at = renewal - (day(days_before) - T0)
    sub, fx = apply(sub, Cancel(), at, NOTICE30)
    kinds = {n.kind for n in fx.notices}
    assert (NoticeKind.cancellation_deferred in kinds) is deferred
    assert (sub.billing.cancel_at > renewal) is deferred
    assert (sub.billing.next_renewal_at == renewal) is deferred


def test_deferred_annual_cancellation_renews_once_then_ends() -> None:
    sub = subscribed(ANNUAL, NOTICE30)
    renewal = sub.billing.period_end_at
    sub = apply(sub, Cancel(), renewal - (day(10) - T0), NOTICE30)[0]
    sub, fx = apply(sub, PeriodEnd(), renewal, NOTICE30)
    assert fx.postings[0].amount == zar("3100.00") and sub.billing.next_renewal_at is None
    ended = apply(sub, PeriodEnd(), sub.billing.period_end_at, NOTICE30)[0]
    assert ended.state is BillingState.cancelled


def failed_at_renewal():
    sub = apply(subscribed(), PeriodEnd(), day(31), CONEK)[0]
    return apply(sub, PaymentFailed(), day(31), CONEK)


def test_failed_payment_starts_dunning_and_grace() -> None:
    sub, fx = failed_at_renewal()
    assert sub.state is BillingState.past_due
    dunning = [a.due_at for a in fx.actions if a.kind is ActionKind.dunning_notice]
    assert dunning == [day(31), day(34), day(37)]
    assert [a.due_at for a in fx.actions if a.kind is ActionKind.grace_end] == [day(38)]
    assert all(a.clause == "7.1" for a in fx.actions)


def test_access_during_grace_and_not_after() -> None:
    sub, _ = failed_at_renewal()
    assert can_use(sub, "messaging", day(38) - SECOND, CONEK)
    assert not can_use(sub, "messaging", day(38), CONEK)
    with pytest.raises(TransitionRefused, match="grace"):
        apply(sub, GraceEnded(), day(38) - SECOND, CONEK)


def test_suspension_after_grace_blocks_but_not_exempt_features() -> None:
    rules = replace(
        CONEK,
        suspension=SuspensionRule("7.1", 7, exempt_features=frozenset({"panic_button"})),
    )
    sub = apply(subscribed(rules=rules), PeriodEnd(), day(31), rules)[0]
    sub = apply(sub, PaymentFailed(), day(31), rules)[0]
    sub, fx = apply(sub, GraceEnded(), day(38), rules)
    assert sub.state is BillingState.suspended
    assert [(a.due_at, a.clause) for a in fx.actions] == [(day(68), "7.1")]
    assert not can_use(sub, "messaging", day(40), rules)
    assert can_use(sub, "panic_button", day(40), rules)


def test_paying_everything_reinstates_partial_payment_does_not() -> None:
    sub, _ = failed_at_renewal()
    sub = apply(sub, GraceEnded(), day(38), CONEK)[0]
    with pytest.raises(TransitionRefused, match="outstanding"):
        apply(sub, Reactivate(STARTER, key="c2"), day(39), CONEK)
    partial = apply(sub, PaymentSucceeded(zar("300.00")), day(39), CONEK)[0]
    assert partial.state is BillingState.suspended
    paid, fx = apply(partial, PaymentSucceeded(zar("10.00")), day(40), CONEK)
    assert paid.state is BillingState.active and paid.access.blocked_by == frozenset()
    assert can_use(paid, "messaging", day(40), CONEK)
    assert NoticeKind.reinstated in {n.kind for n in fx.notices}


def test_reinstated_after_period_end_resumes_without_charging_suspended_time() -> None:
    sub, _ = failed_at_renewal()
    sub = apply(sub, GraceEnded(), day(38), CONEK)[0]
    paid, fx = apply(sub, PaymentSucceeded(zar("310.00")), day(100), CONEK)
    charges = [p.amount for p in fx.postings if p.kind is PostingKind.charge]
    assert charges == [zar("310.00")]  # one new period, none for the suspended months
    assert paid.billing.period_start_at <= day(100) < paid.billing.period_end_at


def test_termination_forfeits_credits_and_ends_access_now() -> None:
    sub, fx = apply(subscribed(), Terminate("spam"), day(5), CONEK)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.forfeit, zar("50.00"), "7.2")
    ]
    assert sub.state is BillingState.terminated
    assert can_use(subscribed(), "messaging", day(5), CONEK)
    assert not can_use(sub, "messaging", day(5), CONEK)
    assert [a.due_at for a in fx.actions] == [day(5)]
    with pytest.raises(TransitionRefused):
        apply(sub, Reactivate(STARTER, key="c2"), day(6), CONEK)


def test_reactivation_is_a_new_subscription_without_old_credits() -> None:
    sub = apply(subscribed(), Cancel(), day(3), CONEK)[0]
    ended = apply(sub, PeriodEnd(), day(31), CONEK)[0]
    new, fx = apply(ended, Reactivate(GROWTH, key="c2"), day(60), CONEK)
    assert new.key == "c2" and new.plan is GROWTH and new.credits == zar("120.00")
    assert fx.postings[0].kind is PostingKind.forfeit and fx.postings[0].clause == "3.4"
    assert [p.amount for p in fx.postings if p.kind is PostingKind.charge] == [zar("620.00")]
    with pytest.raises(TransitionRefused, match="new subscription"):
        apply(ended, Reactivate(GROWTH, key="c1"), day(60), CONEK)
