"""Kero's and Kelbix's lifecycle from their policy files (ADR 0049), and MyProtektor's plan
entitlements (2.2): what each text says runs, what it does not say is not invented."""

from pathlib import Path

import pytest

from refundable.billing.effects import ActionKind, NoticeKind
from refundable.billing.events import (
    Cancel,
    CancelMode,
    PaymentFailed,
    PeriodEnd,
    Subscribe,
    Terminate,
)
from refundable.billing.plan_access import check_seats, plan_allows
from refundable.billing.plans import Cycle, Plan
from refundable.billing.policy import lifecycle_rules
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import TransitionRefused
from refundable.core.money import Money
from refundable.policy.loader import load_policy_text

from .support import T0, day

POLICIES = Path(__file__).parents[3] / "src/refundable/policies"


def rules(policy: str) -> LifecycleRules:
    found = lifecycle_rules(load_policy_text((POLICIES / f"{policy}.yaml").read_text()).document)
    assert found is not None
    return found


KERO, KELBIX, MYPROTEKTOR = rules("kero"), rules("kelbix"), rules("myprotektor")
HOSTING = Plan("hosting", 1, Cycle.monthly, Money.of("450.00", "ZAR"))
KERO_PLAN = Plan("growth", 2, Cycle.monthly, Money.of("49.00", "USD"))


def test_kelbix_cancellation_keeps_fees_billed_before_it_payable_and_purges_nothing() -> None:
    sub, _ = apply(None, Subscribe(HOSTING, key="h1"), T0, KELBIX)  # month 1 charged, unpaid
    sub, _ = apply(sub, Cancel(), day(3), KELBIX)
    assert sub.billing.cancel_at == sub.billing.period_end_at  # access to the paid month's end
    ended, effects = apply(sub, PeriodEnd(), sub.billing.period_end_at, KELBIX)
    assert ended.state is BillingState.cancelled
    assert ended.billing.balance_due == Money.of("450.00", "ZAR")  # still owed
    fees = [n for n in effects.notices if n.clause == "Fees Before Cancellation"]
    assert len(fees) == 1 and "450.00" in fees[0].detail
    assert not [a for a in effects.actions if a.kind is ActionKind.retention_purge]


def test_kelbix_offers_no_immediate_cancellation_and_no_termination() -> None:
    sub, _ = apply(None, Subscribe(HOSTING, key="h1"), T0, KELBIX)
    with pytest.raises(TransitionRefused, match="no immediate cancellation"):
        apply(sub, Cancel(CancelMode.immediate), day(1), KELBIX)
    with pytest.raises(TransitionRefused, match="no termination"):
        apply(sub, Terminate("abuse"), day(1), KELBIX)


def test_kero_termination_ends_access_now_and_schedules_no_purge() -> None:
    sub, _ = apply(None, Subscribe(KERO_PLAN, key="k1"), T0, KERO)
    ended, effects = apply(sub, Terminate("wallet transfer"), day(5), KERO)
    assert ended.state is BillingState.terminated and ended.access.until_at == day(5)
    assert [n.clause for n in effects.notices] == ["Wallet Transfers: prohibited"]
    assert effects.actions == ()


def test_kero_unpaid_subscription_gets_the_read_grace_with_three_reminders() -> None:
    sub, _ = apply(None, Subscribe(KERO_PLAN, key="k1"), T0, KERO)
    _, effects = apply(sub, PaymentFailed(), T0, KERO)
    kinds = [a.kind for a in effects.actions]
    assert kinds.count(ActionKind.dunning_notice) == 3 and ActionKind.grace_end in kinds
    assert {a.clause for a in effects.actions} == {"Subscription Payments"}
    assert effects.notices[0].kind is NoticeKind.payment_failed


def test_myprotektor_plans_gate_their_features_and_seats() -> None:
    viewer = Plan("viewer", 1, Cycle.monthly, Money.of("310.00", "ZAR"), seats_max=5,
                  features=frozenset({"dashboard", "panic_button"}))  # fmt: skip
    sub, _ = apply(None, Subscribe(viewer, key="m1"), T0, MYPROTEKTOR)
    assert plan_allows(sub, "dashboard", day(1), MYPROTEKTOR)
    assert not plan_allows(sub, "analytics", day(1), MYPROTEKTOR)
    check_seats(sub, 5, MYPROTEKTOR)
    with pytest.raises(TransitionRefused, match=r"allows 5 active seats, not 6 \(2.2\)"):
        check_seats(sub, 6, MYPROTEKTOR)
    check_seats(sub, 6, KELBIX)  # a policy without plan entitlements limits no seats
