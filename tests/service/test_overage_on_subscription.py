"""Overage owed on the subscription (MyProtektor 6.1, ADR 0066 addendum), on the in-memory
store: a billed overage joins the balance due, so the ledger and the subscription agree on what
is owed; paying it leaves no account credit; a declined collection of it starts dunning."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lifecycle_support import START, days, journal_balanced, open_policy_tenant, pay, zar
from outbox_kit import drain, sandbox, senders
from refundable.adapters.payments.sandbox import Faults
from refundable.billing.plans import Cycle, UsageAllowance
from refundable.billing.subscription import Subscription
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.time import FixedClock
from refundable.ledger import accounts as chart
from refundable.scheduling.model import ActionKind
from refundable.service import commands as c

ALARMS = UsageAllowance("alarm_events", 100, zar("2.50"))
BILLED_AT = START + days(20)


def _app() -> tuple[App, str]:
    """MyProtektor, an analyst plan metering alarms, the first period paid by hand."""
    app = bootstrap(MEMORY_URL, FixedClock(START))
    t = open_policy_tenant(app, "myprotektor")
    app.bus.handle(c.DefinePlan(t, "plan", "analyst", 2, Cycle.monthly, zar("620.00"),
                                usage=(ALARMS,)))  # fmt: skip
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "analyst", START))
    pay(app, t, "S1", "620.00", START, "first")
    return app, t


def _sub(app: App, t: str) -> Subscription:
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None
    return rec.subscription


def _ledger_owes(app: App, t: str) -> Decimal:
    q = app.queries
    return q.balance(t, chart.receivable("C1", "ZAR")) - q.balance(
        t, chart.account_credit("C1", "ZAR")
    )


def _agree(app: App, t: str) -> None:
    bill = _sub(app, t).billing
    assert _ledger_owes(app, t) == (bill.balance_due - bill.account_credit).amount
    assert journal_balanced(app, t)


def test_billed_overage_is_owed_on_the_subscription_and_the_ledger_agrees() -> None:
    app, t = _app()
    assert _sub(app, t).billing.balance_due == zar("0")
    done = app.bus.handle(c.BillOverage(t, "o1", "ov1", "S1", "alarm_events", 130, BILLED_AT))
    assert (done.details["outcome"], done.details["amount"]) == ("charged", "75.00")
    assert done.ref == "ov1"
    assert _sub(app, t).billing.balance_due == zar("75.00")
    _agree(app, t)
    [entry] = [e for e in app.queries.journal(t) if e.ref == "ov1"]
    assert (entry.meta["kind"], entry.meta["units"], entry.effective_at) == (
        "usage",
        "130",
        BILLED_AT,
    )


def test_paying_the_overage_settles_it_without_account_credit() -> None:
    app, t = _app()
    app.bus.handle(c.BillOverage(t, "o1", "ov1", "S1", "alarm_events", 130, BILLED_AT))
    pay(app, t, "S1", "75.00", BILLED_AT + days(1), "overage-paid")
    bill = _sub(app, t).billing
    assert bill.balance_due == zar("0") and bill.account_credit == zar("0")
    assert app.queries.balance(t, chart.account_credit("C1", "ZAR")) == Decimal("0")
    _agree(app, t)


def test_a_declined_overage_charge_starts_dunning(tmp_path: Path) -> None:
    app, t = _app()
    app.bus.handle(c.AttachPaymentMethod(t, "pm", "C1", "sandbox", "pm_visa", START))
    app.bus.handle(c.BillOverage(t, "o1", "ov1", "S1", "alarm_events", 130, BILLED_AT))
    gw = sandbox(tmp_path)
    gw.set_faults(Faults(decline=1.0))
    drain(app, senders(gw), BILLED_AT)
    assert [ch["status"] for ch in gw.charges()] == ["failed"]
    sub = _sub(app, t)
    assert sub.state.value == "past_due" and sub.billing.first_failed_at is not None
    assert sub.billing.balance_due == zar("75.00")
    due = {a.kind for a in app.work.actions(t)}
    assert {ActionKind.dunning_notice, ActionKind.grace_end} <= due
    _agree(app, t)
