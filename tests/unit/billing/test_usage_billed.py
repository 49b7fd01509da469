"""Overage owed on the subscription (MyProtektor 6.1, ADR 0066 addendum): ``UsageBilled``
adds the amount to the balance due like a renewal, so a failed collection starts dunning and a
payment settles it without leaving spurious account credit."""

from dataclasses import replace

import pytest

from refundable.billing.effects import PostingKind
from refundable.billing.events import (
    Cancel,
    CancelMode,
    PaymentFailed,
    PaymentSucceeded,
    PeriodEnd,
    StartTrial,
    Subscribe,
    Suspend,
    UsageBilled,
)
from refundable.billing.rules import UsageRule
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import InputError, TransitionRefused
from refundable.core.money import Money

from .support import CONEK, STARTER, T0, day, zar
from .test_myprotektor import ANALYST, RULES, paid

OVERAGE = UsageBilled(zar("75.00"), "overage alarm_events", "ov1", (("kind", "usage"),))


def test_overage_joins_the_balance_due_with_its_posting() -> None:
    sub, fx = apply(paid(ANALYST), OVERAGE, day(30), RULES)
    assert RULES.usage is not None
    assert sub.billing.balance_due == zar("75.00")
    assert sub.state is BillingState.active and sub.billing.first_failed_at is None
    [posting] = fx.postings
    assert (posting.kind, posting.amount, posting.clause) == (
        PostingKind.charge,
        zar("75.00"),
        RULES.usage.clause,
    )
    assert (posting.ref, posting.meta) == ("ov1", (("kind", "usage"),))
    assert fx.actions == () and fx.notices == ()


def test_a_failed_overage_collection_starts_dunning_and_payment_settles_it() -> None:
    sub, _ = apply(paid(ANALYST), OVERAGE, day(30), RULES)
    failed, fx = apply(sub, PaymentFailed(), day(30), RULES)
    assert failed.state is BillingState.past_due and failed.billing.first_failed_at == day(30)
    assert {a.kind.value for a in fx.actions} >= {"grace_end"}
    settled, _ = apply(failed, PaymentSucceeded(zar("75.00")), day(30.5), RULES)
    assert settled.state is BillingState.active
    assert settled.billing.balance_due == zar("0") and settled.billing.account_credit == zar("0")


def test_account_credit_pays_the_overage_first() -> None:
    sub = paid(ANALYST)
    sub = replace(sub, billing=replace(sub.billing, account_credit=zar("50.00")))
    billed, _ = apply(sub, OVERAGE, day(20), RULES)
    assert billed.billing.account_credit == zar("0")
    assert billed.billing.balance_due == zar("25.00")


@pytest.mark.parametrize("state", ["cancel_pending", "past_due", "suspended"])
def test_owing_and_ending_states_are_billed(state: str) -> None:
    sub = paid(ANALYST)
    if state == "cancel_pending":
        sub, _ = apply(sub, Cancel(), day(2), RULES)
    else:
        sub, _ = apply(sub, PeriodEnd(), day(31), RULES)
        sub, _ = apply(sub, PaymentFailed(), day(31), RULES)
        if state == "suspended":
            sub, _ = apply(sub, Suspend(), day(50), RULES)
    assert sub.state.value == state
    before = sub.billing.balance_due
    billed, _ = apply(sub, OVERAGE, day(55), RULES)
    assert billed.billing.balance_due == before + zar("75.00")
    assert billed.state is sub.state


def test_trials_and_ended_subscriptions_are_not_billed() -> None:
    rules = replace(CONEK, usage=UsageRule("6.1"))
    trial, _ = apply(None, StartTrial("c1", STARTER, 14, zar("0")), T0, rules)
    with pytest.raises(TransitionRefused, match=r"cannot bill usage \(subscription is trialing\)"):
        apply(trial, OVERAGE, day(1), rules)
    ended, _ = apply(paid(ANALYST), Cancel(CancelMode.immediate), day(2), RULES)
    assert ended.state is BillingState.cancelled
    with pytest.raises(TransitionRefused, match="cannot bill usage") as err:
        apply(ended, OVERAGE, day(3), RULES)
    assert "active or cancel_pending or past_due or suspended" in (err.value.allowed or "")


def test_a_policy_without_usage_billing_and_bad_amounts_are_refused() -> None:
    sub, _ = apply(None, Subscribe(STARTER, key="c1"), T0, CONEK)
    with pytest.raises(TransitionRefused, match="no overage billing"):
        apply(sub, OVERAGE, day(15), CONEK)
    for amount in (zar("0"), zar("-1.00"), Money.of("5", "USD")):
        with pytest.raises(InputError, match="usage charge of"):
            apply(paid(ANALYST), replace(OVERAGE, amount=amount), day(3), RULES)
