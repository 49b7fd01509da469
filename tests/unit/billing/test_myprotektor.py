"""MyProtektor's lifecycle from its policy file (4.2, 5.2, 5.3, 6.1)."""

from pathlib import Path

import pytest

from refundable.billing.effects import NoticeKind, PostingKind
from refundable.billing.entitlement import can_use
from refundable.billing.events import (
    Cancel,
    CancelMode,
    Downgrade,
    GraceEnded,
    PaymentFailed,
    PaymentSucceeded,
    PeriodEnd,
    Reactivate,
    StartTrial,
    Subscribe,
    Terminate,
)
from refundable.billing.plans import Cycle, Plan
from refundable.billing.policy import lifecycle_rules
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import TransitionRefused
from refundable.policy.loader import load_policy_text

from .support import T0, day, zar

FILE = Path(__file__).parents[3] / "src/refundable/policies/myprotektor.yaml"
RULES = lifecycle_rules(load_policy_text(FILE.read_text(), "myprotektor.yaml").document)
assert RULES is not None
ANALYST = Plan("analyst", 2, Cycle.monthly, zar("620.00"))
VIEWER = Plan("viewer", 1, Cycle.monthly, zar("310.00"))
ANNUAL = Plan("org-annual", 2, Cycle.annual, zar("6000.00"))


def paid(plan: Plan):
    sub = apply(None, Subscribe(plan, key="m1"), T0, RULES)[0]
    return apply(sub, PaymentSucceeded(plan.cycle_price), T0, RULES)[0]


def test_downgrade_credits_difference_to_next_cycle() -> None:
    sub, fx = apply(paid(ANALYST), Downgrade(VIEWER), day(15.5), RULES)
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.credit, zar("155.00"), "4.2")
    ]
    renewed, fx = apply(sub, PeriodEnd(), day(31), RULES)
    assert renewed.billing.balance_due == zar("155.00")  # 310 less the 155 credit
    assert renewed.billing.account_credit == zar("0")


@pytest.mark.parametrize(("days_before", "deferred"), [(30, False), (29, True)])
def test_annual_notice_30_days(days_before: int, deferred: bool) -> None:
    sub = paid(ANNUAL)
    renewal = sub.billing.period_end_at
    sub, fx = apply(sub, Cancel(), renewal - (day(days_before) - T0), RULES)
    assert (NoticeKind.cancellation_deferred in {n.kind for n in fx.notices}) is deferred
    assert (sub.billing.cancel_at == renewal) is not deferred


def test_immediate_cancellation_offered_with_named_charge() -> None:
    sub, fx = apply(paid(ANALYST), Cancel(CancelMode.immediate), day(3), RULES)
    assert sub.state is BillingState.cancelled and fx.postings[0].clause == "5.2"
    assert not can_use(sub, "reports", day(3), RULES)


def test_emergency_features_never_gated_by_billing() -> None:
    sub = apply(paid(ANALYST), PeriodEnd(), day(31), RULES)[0]
    sub = apply(sub, PaymentFailed(), day(31), RULES)[0]
    sub = apply(sub, GraceEnded(), day(38), RULES)[0]
    assert sub.state is BillingState.suspended
    assert not can_use(sub, "reports", day(40), RULES)
    assert can_use(sub, "panic_button", day(40), RULES)
    assert can_use(sub, "emergency_dispatch", day(40), RULES)


@pytest.mark.parametrize(("after", "allowed"), [(90, True), (90 + 1 / 86400, False)])
def test_reactivation_within_90_day_retention(after: float, allowed: bool) -> None:
    sub = apply(paid(ANALYST), Cancel(), day(1), RULES)[0]
    ended = apply(sub, PeriodEnd(), day(31), RULES)[0]
    at = day(31 + after)
    if allowed:
        back, _ = apply(ended, Reactivate(ANALYST), at, RULES)
        assert back.key == "m1" and back.state is BillingState.active
    else:
        with pytest.raises(TransitionRefused, match="retention"):
            apply(ended, Reactivate(ANALYST), at, RULES)


def test_no_trials_and_no_termination_terms() -> None:
    with pytest.raises(TransitionRefused, match="no trials"):
        apply(None, StartTrial("m2", ANALYST, 14, zar("0")), T0, RULES)
    with pytest.raises(TransitionRefused, match="no termination"):
        apply(paid(ANALYST), Terminate("abuse"), day(2), RULES)
