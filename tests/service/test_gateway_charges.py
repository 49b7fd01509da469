"""Charges collected through the payment gateway (ADR 0066), on the in-memory store and the
sandbox gateway: a customer with a payment method on file is charged for the first period,
each renewal and an upgrade's pro-rata difference through the outbox; a success records the
payment once, a decline starts dunning, a timeout is retried with the same key and charges
once, duplicate callbacks change nothing; without a payment method nothing is sent and the
recorded-payment path runs as before."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from lifecycle_support import (
    MYPROTEKTOR_PLANS,
    START,
    clocked_tenant,
    days,
    define_plans,
    journal_balanced,
    open_policy_tenant,
    pay,
    zar,
)
from outbox_kit import drain, sandbox, senders
from refundable.adapters.payments.sandbox import Faults, SandboxGateway
from refundable.billing.events import CancelMode
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.errors import InputError
from refundable.core.methods import Method
from refundable.core.time import FixedClock
from refundable.ledger import accounts as chart
from refundable.scheduling.model import ActionKind
from refundable.service import commands as c
from refundable.service.outbox import RetryPolicy
from refundable.service.outbox_senders import apply_charge_answer
from refundable.service.ports import ChargeStatus, GatewayCharge
from refundable.service.scheduled import advance_test_clock


def _app(card: bool = True) -> tuple[App, str]:
    app = bootstrap(MEMORY_URL, FixedClock(START))
    t = clocked_tenant(app, "conek")
    if card:
        app.bus.handle(c.AttachPaymentMethod(t, "pm1", "C1", "sandbox", "pm_card_visa", START))
    return app, t


def _sub(app: App, t: str, sid: str = "S1"):  # type: ignore[no-untyped-def]
    rec = app.subscriptions.record(t, sid)
    assert rec is not None
    return rec.subscription


def _payments(app: App, t: str) -> list[str]:
    return [e.ref for e in app.queries.journal(t) if e.kind.value == "payment"]


def _charges(app: App, t: str) -> list[dict[str, str]]:
    return [dict(m.payload) for m in app.work.outbox(t) if m.kind == "charge"]


def test_first_period_and_renewals_are_charged_and_paid_once(tmp_path: Path) -> None:
    app, t = _app()
    gw = sandbox(tmp_path)
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    assert [(p["amount"], p["purpose"]) for p in _charges(app, t)] == [("310.00", "subscription")]
    assert drain(app, senders(gw), START).sent >= 1
    assert _sub(app, t).billing.balance_due == zar("0")
    [made] = gw.charges()
    assert _payments(app, t) == [made["charge_id"]]  # the payment is the gateway's charge
    renewal = START + days(32)
    advance_test_clock(app.bus, app.work, t, "clock", renewal)
    assert _sub(app, t).billing.balance_due == zar("310.00")  # renewed, not paid yet
    drain(app, senders(gw), renewal)
    drain(app, senders(gw), renewal + timedelta(hours=3))  # nothing more to do
    assert _sub(app, t).billing.balance_due == zar("0")
    assert len(gw.charges()) == 2 and len(_payments(app, t)) == 2
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == Decimal("0")
    assert journal_balanced(app, t)


def test_an_upgrade_collects_the_pro_rata_difference(tmp_path: Path) -> None:
    app, t = _app()
    gw = sandbox(tmp_path)
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    drain(app, senders(gw), START)
    at = START + days(15)
    app.bus.handle(c.UpgradePlan(t, "u1", "S1", "growth", at))
    owed = _sub(app, t).billing.balance_due
    assert zar("0") < owed < zar("310.00")  # the difference for the rest of the cycle (6.2)
    drain(app, senders(gw), at)
    amounts = sorted(Decimal(ch["amount"]) for ch in gw.charges())
    assert amounts == sorted([Decimal("310.00"), owed.amount])
    assert _sub(app, t).billing.balance_due == zar("0")


def test_a_decline_records_a_failure_and_starts_dunning(tmp_path: Path) -> None:
    app, t = _app()
    gw = sandbox(tmp_path)
    gw.set_faults(Faults(decline=1.0))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    report = drain(app, senders(gw), START + timedelta(minutes=1))
    assert (report.retried, report.dead) == (0, 0)  # a decline is an answer, not a fault
    sub = _sub(app, t)
    assert sub.state.value == "past_due" and sub.billing.first_failed_at is not None
    assert sub.billing.balance_due == zar("310.00") and _payments(app, t) == []
    due = {a.kind for a in app.work.actions(t)}
    assert {ActionKind.dunning_notice, ActionKind.grace_end} <= due
    advance_test_clock(app.bus, app.work, t, "clock", START + days(8))  # grace (7.1) is over
    assert _sub(app, t).state.value == "suspended"
    assert [ch["status"] for ch in gw.charges()] == ["failed"]


def test_a_timeout_is_retried_with_the_same_key_and_charges_once(tmp_path: Path) -> None:
    app, t = _app()
    gw = sandbox(tmp_path)
    gw.set_faults(Faults(timeout_after=1.0))  # the charge happens, the answer is lost
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    policy = RetryPolicy(first=timedelta(minutes=1))
    assert drain(app, senders(gw), START, policy=policy).retried == 1
    assert _payments(app, t) == [] and len(gw.charges()) == 1
    gw.set_faults(Faults())
    assert drain(app, senders(gw), START + timedelta(minutes=2), policy=policy).sent >= 1
    [made] = gw.charges()
    assert _payments(app, t) == [made["charge_id"]]
    keys = [key for op, key, _ in gw.calls() if op == "charge"]
    assert len(keys) == 2 and len(set(keys)) == 1  # two calls, one key, one charge
    assert _sub(app, t).billing.balance_due == zar("0")


def test_duplicate_callbacks_record_the_payment_once(tmp_path: Path) -> None:
    app, t = _app()
    gw = sandbox(tmp_path)
    gw.set_faults(Faults(duplicate_callbacks=True))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    drain(app, senders(gw), START)
    callbacks = gw.take_charge_callbacks()
    assert len(callbacks) == 2
    for cb in callbacks:
        heard = GatewayCharge(cb.gateway_charge_id, cb.status, cb.failure_reason)
        apply_charge_answer(app.bus, cb.metadata["tenant_id"], cb.metadata, heard, gw.name)
    assert len(_payments(app, t)) == 1
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == Decimal("0")


def test_a_late_success_after_the_payment_was_recorded_changes_nothing(tmp_path: Path) -> None:
    """A status heard under another key (e.g. after pending) finds the payment recorded."""
    app, t = _app()
    gw = sandbox(tmp_path)
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    drain(app, senders(gw), START)
    [payload] = _charges(app, t)
    [made] = gw.charges()
    receipt = app.bus.handle(c.RecordGatewayCharge(
        t, "late-one", payload["charge_id"], c.ChargePurpose.subscription, "S1", "C1",
        zar("310.00"), "sandbox", made["charge_id"], ChargeStatus.succeeded,
        datetime.fromisoformat(payload["at"])))  # fmt: skip
    assert receipt.details["stale"] == "payment already recorded"
    assert len(_payments(app, t)) == 1


def test_without_a_payment_method_nothing_is_sent_and_recorded_payments_still_work(
    tmp_path: Path,
) -> None:
    app, t = _app(card=False)  # a trial needs no card (Conek 5.1)
    app.bus.handle(c.StartTrial(t, "tr", "S1", "C1", "starter", 14, START, zar("20.00")))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START + days(14)))
    assert _charges(app, t) == []
    assert drain(app, senders(sandbox(tmp_path)), START + days(14)).sent >= 0
    assert _sub(app, t).billing.balance_due == zar("310.00")
    pay(app, t, "S1", "310.00", START + days(15), "by-hand")
    assert _sub(app, t).billing.balance_due == zar("0")
    assert _payments(app, t) == ["by-hand"]


def test_a_removed_payment_method_stops_collection(tmp_path: Path) -> None:
    app, t = _app()
    app.bus.handle(c.RemovePaymentMethod(t, "rm", "C1", START))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    assert _charges(app, t) == []
    gw: SandboxGateway = sandbox(tmp_path)
    drain(app, senders(gw), START)
    assert gw.charges() == []


def test_a_payment_method_a_gateway_cannot_charge_is_refused() -> None:
    with pytest.raises(InputError) as err:
        c.AttachPaymentMethod("t", "k", "C1", "sandbox", "pm_1", START, Method.wallet)
    assert "card, eft or debit_order" in (err.value.allowed or "")


def test_overage_is_collected_and_paid_against_the_receivable(tmp_path: Path) -> None:
    from refundable.billing.plans import Cycle, UsageAllowance

    app = bootstrap(MEMORY_URL, FixedClock(START))
    t = open_policy_tenant(app, "myprotektor")
    alarms = UsageAllowance("alarm_events", 100, zar("2.50"))
    app.bus.handle(c.DefinePlan(t, "plan", "analyst", 2, Cycle.monthly, zar("620.00"),
                                usage=(alarms,)))  # fmt: skip
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "analyst", START))
    pay(app, t, "S1", "620.00", START, "first")  # paid by hand before the card was on file
    app.bus.handle(c.AttachPaymentMethod(t, "pm", "C1", "sandbox", "pm_visa", START))
    app.bus.handle(c.BillOverage(t, "o1", "ov1", "S1", "alarm_events", 130, START + days(30)))
    assert [(p["amount"], p["purpose"]) for p in _charges(app, t)] == [("75.00", "subscription")]
    gw = sandbox(tmp_path)
    drain(app, senders(gw), START + days(30))
    [made] = gw.charges()
    assert _payments(app, t) == ["first", made["charge_id"]]
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == Decimal("0")
    bill = _sub(app, t, "S1").billing  # the overage was owed on the subscription, now settled
    assert bill.balance_due == zar("0") and bill.account_credit == zar("0")
    assert journal_balanced(app, t)


def test_an_early_termination_charge_is_collected(tmp_path: Path) -> None:
    """No shipped policy publishes an amount (MyProtektor's named parameter is 0), so the
    tenant's copy of MyProtektor names R150; the charge is collected with nothing else."""
    from refundable.config import shipped_policies_dir

    app = bootstrap(MEMORY_URL, FixedClock(START))
    text = (shipped_policies_dir() / "myprotektor.yaml").read_text()
    assert "early_termination_charge: 0\n" in text
    text = text.replace("early_termination_charge: 0\n", "early_termination_charge: 150\n")
    app.bus.handle(c.PublishPolicy("etc", "pub", text, name="myprotektor"))
    define_plans(app, "etc", MYPROTEKTOR_PLANS)
    app.bus.handle(c.AttachPaymentMethod("etc", "pm", "C1", "sandbox", "pm_visa", START))
    app.bus.handle(c.Subscribe("etc", "s1", "S1", "C1", "viewer", START))
    gw = sandbox(tmp_path)
    drain(app, senders(gw), START)
    at = START + days(3)
    app.bus.handle(c.CancelSubscription("etc", "x", "S1", at, CancelMode.immediate))
    assert [p["amount"] for p in _charges(app, "etc")] == ["310.00", "150.00"]
    drain(app, senders(gw), at)
    assert sorted(Decimal(ch["amount"]) for ch in gw.charges()) == [Decimal(150), Decimal(310)]
    assert _sub(app, "etc", "S1").billing.balance_due == zar("0")
