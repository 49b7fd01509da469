"""Subscription commands and their due work on the in-memory store: dunning from the first
failed payment, suspension after grace, reinstatement on paying everything, exempt features,
account holds, downgrade credits applied to the next charge, and stale actions left alone."""

from __future__ import annotations

import pytest

from lifecycle_support import (
    CONEK_PLANS,
    MYPROTEKTOR_PLANS,
    START,
    days,
    define_plans,
    journal_balanced,
    notices,
    open_policy_tenant,
    pay,
    zar,
)
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.errors import NotFound, TransitionRefused
from refundable.core.methods import Method
from refundable.core.time import FixedClock
from refundable.ledger import accounts as chart
from refundable.scheduling.model import ActionKind, ActionState
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def _app(policy: str) -> tuple[App, str]:
    app = bootstrap(MEMORY_URL, FixedClock(START))
    tenant = open_policy_tenant(app, policy)
    define_plans(app, tenant, CONEK_PLANS if policy == "conek" else MYPROTEKTOR_PLANS)
    app.bus.handle(c.CreateTestClock(tenant, "clock", "clock", START))
    return app, tenant


def _state(app: App, tenant: str, sid: str = "S1") -> str:
    rec = app.subscriptions.record(tenant, sid)
    assert rec is not None
    return rec.subscription.state.value


def test_dunning_suspends_after_grace_and_payment_reinstates() -> None:
    app, t = _app("myprotektor")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "analyst", START))
    pay(app, t, "S1", "620.00", START, "p0")
    advance_test_clock(app.bus, app.work, t, "clock", START + days(31))  # renewed: R620 owed
    assert app.subscriptions.record(t, "S1").subscription.billing.balance_due == zar("620.00")  # type: ignore[union-attr]
    failed_at = START + days(31)
    app.bus.handle(c.RecordPaymentFailure(t, "f1", "S1", failed_at, "card declined"))
    assert _state(app, t, "S1") == "past_due"
    assert app.subscriptions.can_use(t, "C1", "reports", failed_at + days(6)).allowed  # grace
    advance_test_clock(app.bus, app.work, t, "clock", failed_at + days(8))
    assert _state(app, t) == "suspended"
    kinds = notices(app, t)
    assert kinds.count("subscription.dunning_notice") == 3  # days 0, 3 and 6 (MyProtektor 6.1)
    assert "subscription.suspended" in kinds
    now = failed_at + days(8)
    assert not app.subscriptions.can_use(t, "C1", "reports", now).allowed
    assert app.subscriptions.can_use(t, "C1", "panic_button", now).allowed  # never gated
    pay(app, t, "S1", "620.00", now, "p1")
    assert _state(app, t) == "active"
    assert app.subscriptions.can_use(t, "C1", "reports", now).allowed
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == 0
    assert journal_balanced(app, t)


def test_a_stale_grace_end_after_payment_changes_nothing() -> None:
    app, t = _app("conek")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    app.bus.handle(c.RecordPaymentFailure(t, "f1", "S1", START + days(1)))
    pay(app, t, "S1", "310.00", START + days(2), "p1")
    before = app.subscriptions.history(t, "S1")
    advance_test_clock(app.bus, app.work, t, "clock", START + days(10))
    assert _state(app, t) == "active"
    assert app.subscriptions.history(t, "S1") == before  # grace end and notices: stale
    done = [a for a in app.work.actions(t) if a.state is ActionState.done]
    assert {a.kind for a in done} == {ActionKind.grace_end, ActionKind.dunning_notice}
    assert "subscription.dunning_notice" not in notices(app, t)


def test_an_account_hold_refuses_use_but_not_exempt_features() -> None:
    app, t = _app("myprotektor")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "analyst", START))
    app.bus.handle(c.RecordPayment(t, "pp", "P1", "C1", zar("620.00"), Method.card, "stripe",
                                   START))  # fmt: skip
    with app.bus.uow_factory() as uow:  # what a case handler does on a chargeback
        from refundable.ledger.holds import Hold

        uow.repositories(t).holds.add(Hold("H1", "C1", "chargeback", "P1", "D1", START))
        uow.commit()
    assert not app.subscriptions.can_use(t, "C1", "reports", START + days(1)).allowed
    assert app.subscriptions.can_use(t, "C1", "emergency_dispatch", START + days(1)).allowed
    assert app.subscriptions.can_use(t, "C2", "reports", START).reason == "no subscription"


def test_a_downgrade_credit_pays_part_of_the_next_renewal() -> None:
    app, t = _app("myprotektor")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "analyst", START))
    pay(app, t, "S1", "620.00", START, "p0")
    app.bus.handle(c.DowngradePlan(t, "d1", "S1", "viewer", START + days(15)))
    credit = app.queries.balance(t, chart.account_credit("C1", "ZAR"))
    assert 0 < credit < 310  # the pro-rata difference for the rest of the cycle
    advance_test_clock(app.bus, app.work, t, "clock", START + days(31))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.plan.code == "viewer"
    owed = rec.subscription.billing.balance_due
    assert owed == zar("310.00") - zar(str(credit))
    assert app.queries.balance(t, chart.account_credit("C1", "ZAR")) == 0
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == owed.amount
    assert journal_balanced(app, t)


def test_conek_downgrade_waits_for_the_cycle_end_and_can_be_withdrawn() -> None:
    app, t = _app("conek")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "growth", START))
    app.bus.handle(c.DowngradePlan(t, "d1", "S1", "starter", START + days(3)))
    app.bus.handle(c.WithdrawDowngrade(t, "w1", "S1", START + days(4)))
    advance_test_clock(app.bus, app.work, t, "clock", START + days(32))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.plan.code == "growth"
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == 1240  # two cycles


def test_unknown_subscription_and_plan_are_named() -> None:
    app, t = _app("conek")
    with pytest.raises(NotFound, match="subscription 'nope'"):
        app.bus.handle(c.UpgradePlan(t, "u1", "nope", "growth", START))
    with pytest.raises(NotFound, match="plan 'gold'"):
        app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "gold", START))
    app.bus.handle(c.Subscribe(t, "s2", "S1", "C1", "starter", START))
    with pytest.raises(TransitionRefused, match="not a higher tier"):
        app.bus.handle(c.UpgradePlan(t, "u2", "S1", "starter", START))


@pytest.mark.parametrize("policy", ["conek", "myprotektor"])
def test_demo_subscriptions_cover_every_state_and_replay(policy: str) -> None:
    from refundable.service.subscription_seed import seed_demo_subscriptions

    app, t = _app(policy)
    made = seed_demo_subscriptions(app.bus, t, START)
    states = {state: _state(app, t, sid) for state, sid in made.items()}
    expected = {"active", "past_due", "suspended", "cancel_pending", "cancelled"}
    assert expected <= set(states)
    for state, found in states.items():
        wanted = "active" if state == "downgrade_pending" else state
        assert found == wanted, state
    if policy == "conek":
        assert {"trialing", "terminated"} <= set(states)
    before = len(app.queries.journal(t))
    assert seed_demo_subscriptions(app.bus, t, START) == made  # idempotent
    assert len(app.queries.journal(t)) == before and journal_balanced(app, t)
