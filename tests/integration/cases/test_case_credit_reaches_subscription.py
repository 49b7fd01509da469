"""A refund case's account credit reaches the customer's subscription (issue 10 item 5):
the next renewal draws on it, and a credit granted while a charge is unpaid pays it down as
a payment would (ending dunning). The subscription and the ledger agree on what is owed at
every step (receivable less account credit = balance due less account credit). Both stores."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casefakes import Reason, Subject, case_of, charge_and_pay, open_case
from lifecycle_support import (
    CONEK_PLANS,
    START,
    balance,
    days,
    define_plans,
    journal_balanced,
    open_policy_tenant,
    pay,
    zar,
)
from refundable.bootstrap import App
from refundable.core.errors import Conflict
from refundable.ledger import accounts as chart
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

INFO = {"explanation": "changed my mind", "email": "c1@acme.test", "account": "c1 Acme"}
FACTS = {"charge": {"kind": "subscription", "billing": "monthly"}}


def _subscriber(app: App) -> str:
    t = open_policy_tenant(app, "conek")
    define_plans(app, t, CONEK_PLANS)
    app.bus.handle(c.CreateTestClock(t, "clock", "clk", START))
    app.bus.handle(c.Subscribe(t, "start", "S0", "C1", "starter", START))
    return t


def _credit(app: App, t: str, amount: str, key: str) -> str:
    """A case about another charge, decided by an agent's override as account credit."""
    at = START + days(2)
    ch, p = charge_and_pay(app, t, "C1", zar("100.00"), at)
    case_id, _ = open_case(app, t, "C1", Subject.charge, ch, Reason.change_of_mind, at,
                           payment_id=p, information=INFO, facts=FACTS)  # fmt: skip
    assert case_of(app, t, case_id).state.value == "denied"  # Conek: no refund for this
    app.bus.handle(c.OverrideDecision(t, key, case_id, Outcome.approve, "goodwill",
                                      at + days(1), "agent:bo", remedy=Remedy.account_credit,
                                      amount=zar(amount)))  # fmt: skip
    assert case_of(app, t, case_id).state.value == "credited"
    return case_id


def _agree(app: App, t: str) -> Decimal:
    """What the customer owes, checked to be the same on the ledger and the subscription."""
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None
    bill = rec.subscription.billing
    on_ledger = balance(app, t, chart.receivable("C1", "ZAR")) - balance(
        app, t, chart.account_credit("C1", "ZAR")
    )
    assert on_ledger == (bill.balance_due - bill.account_credit).amount
    assert journal_balanced(app, t)
    return on_ledger


def test_the_next_renewal_draws_on_a_cases_account_credit(app: App) -> None:
    t = _subscriber(app)
    pay(app, t, "S0", "310.00", START, "p-first")
    _credit(app, t, "50.00", "o1")
    assert _agree(app, t) == Decimal("-50.00")  # waiting for the next charge
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None and rec.subscription.billing.account_credit == zar("50.00")
    advance_test_clock(app.bus, app.work, t, "clk", START + days(32))  # the renewal
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None
    assert rec.subscription.billing.balance_due == zar("260.00")  # 310 less the 50 credit
    assert rec.subscription.billing.account_credit == zar("0.00")
    assert _agree(app, t) == Decimal("260.00")


def test_a_credit_while_a_charge_is_unpaid_pays_it_down_and_ends_dunning(app: App) -> None:
    t = _subscriber(app)
    app.bus.handle(c.RecordPaymentFailure(t, "failed", "S0", START + days(1)))
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None and rec.subscription.state.value == "past_due"
    _credit(app, t, "400.00", "o2")  # more than the 310 owed
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None
    bill = rec.subscription.billing
    assert (rec.subscription.state.value, bill.balance_due, bill.account_credit) == (
        "active", zar("0.00"), zar("90.00"))  # fmt: skip
    assert _agree(app, t) == Decimal("-90.00")


def test_replaying_the_override_credits_the_subscription_once(app: App) -> None:
    t = _subscriber(app)
    pay(app, t, "S0", "310.00", START, "p-first")
    case_id = _credit(app, t, "50.00", "o3")
    at = START + days(3)
    app.bus.handle(c.OverrideDecision(t, "o3", case_id, Outcome.approve, "goodwill", at,
                                      "agent:bo", remedy=Remedy.account_credit,
                                      amount=zar("50.00")))  # fmt: skip
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None and rec.subscription.billing.account_credit == zar("50.00")
    assert _agree(app, t) == Decimal("-50.00")


def test_a_later_override_tops_the_credit_up_but_cannot_take_it_back(app: App) -> None:
    t = _subscriber(app)
    pay(app, t, "S0", "310.00", START, "p-first")
    case_id = _credit(app, t, "50.00", "o4")
    at = START + days(4)
    app.bus.handle(c.OverrideDecision(t, "o5", case_id, Outcome.approve, "more goodwill", at,
                                      "agent:bo", amount=zar("80.00")))  # fmt: skip
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None and rec.subscription.billing.account_credit == zar("80.00")
    assert _agree(app, t) == Decimal("-80.00")
    journal = len(app.queries.journal(t))
    with pytest.raises(Conflict, match="went to subscription S0"):
        app.bus.handle(c.OverrideDecision(t, "o6", case_id, Outcome.approve, "too much", at,
                                          "agent:bo", amount=zar("20.00")))  # fmt: skip
    assert len(app.queries.journal(t)) == journal  # nothing written
    assert _agree(app, t) == Decimal("-80.00")


def test_a_credit_granted_through_the_money_api_reaches_the_subscription_too(app: App) -> None:
    t = _subscriber(app)
    pay(app, t, "S0", "310.00", START, "p-first")
    case_id = _credit(app, t, "50.00", "o7")
    decision = case_of(app, t, case_id).decision_id
    assert decision is not None
    app.bus.handle(c.GrantAccountCredit(t, "g1", "grant-1", "C1", decision, START + days(5),
                                        "goodwill"))  # fmt: skip
    rec = app.subscriptions.record(t, "S0")
    assert rec is not None and rec.subscription.billing.account_credit == zar("100.00")
    assert _agree(app, t) == Decimal("-100.00")
