"""A year of a Kero customer and of a Kelbix hosting customer on a test clock, on SQLite and
PostgreSQL (issue 9; readings ADR 0049): sign-up, upgrade, downgrade at the end of the month,
a failed payment, suspension after grace, reinstatement on paying everything, then the end
(Kelbix: cancellation with fees billed before it still payable; Kero: termination, access
ending at once). At each step the ledger stays balanced, the access timeline says what the
customer may use, and no personal-data purge is ever scheduled: neither text states a period."""

from __future__ import annotations

from datetime import datetime

from lifecycle_support import START, days, journal_balanced, notices, open_policy_tenant
from refundable.billing.plans import Cycle
from refundable.bootstrap import App
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.scheduling.model import ActionKind, ActionState
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock
from retention_support import exported


def _walk_to(app: App, t: str, to: datetime) -> None:
    advance_test_clock(app.bus, app.work, t, "clock", to)
    assert journal_balanced(app, t)


def _owed(app: App, t: str) -> Money:
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None
    return rec.subscription.billing.balance_due


def _pay_all(app: App, t: str, at: datetime, pid: str) -> None:
    owed = _owed(app, t)
    if owed.is_positive:
        app.bus.handle(c.RecordRenewalPayment(t, f"k-{pid}", "S1", pid, owed, Method.card,
                                              "stripe", at))  # fmt: skip


def _state(app: App, t: str) -> str:
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None
    return rec.subscription.state.value


def _first_months(app: App, t: str, currency: str, small: str, big: str) -> None:
    """Sign up, pay, upgrade in month 2, downgrade in month 4 (takes effect at month end),
    a failed payment in month 6 suspended after 7 days' grace, then reinstated."""
    for plan, tier, price in (("basic", 1, small), ("pro", 2, big)):
        app.bus.handle(c.DefinePlan(t, f"plan-{plan}", plan, tier, Cycle.monthly,
                                    Money.of(price, currency), features=("service",)))  # fmt: skip
    app.bus.handle(c.CreateTestClock(t, "clock", "clock", START))
    app.bus.handle(c.RegisterCustomer(t, "reg", "C1"))
    app.bus.handle(c.RecordCustomerProfile(t, "prof", "C1", START, name="Sipho", phone="083"))
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "basic", START))
    _pay_all(app, t, START, "p0")
    _walk_to(app, t, START + days(40))  # month 2 renewed
    _pay_all(app, t, START + days(40), "p1")
    app.bus.handle(c.UpgradePlan(t, "up", "S1", "pro", START + days(45)))
    assert _owed(app, t).is_positive  # the pro-rated difference, nothing more
    _pay_all(app, t, START + days(45), "p2")
    _walk_to(app, t, START + days(100))
    _pay_all(app, t, START + days(100), "p3")
    app.bus.handle(c.DowngradePlan(t, "down", "S1", "basic", START + days(101)))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.plan.code == "pro"  # until the month ends
    _walk_to(app, t, START + days(160))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.plan.code == "basic"
    failed = START + days(160)
    app.bus.handle(c.RecordPaymentFailure(t, "fail", "S1", failed))
    assert app.subscriptions.can_use(t, "C1", "service", failed + days(6)).allowed  # grace
    _walk_to(app, t, failed + days(8))
    assert _state(app, t) == "suspended"
    assert not app.subscriptions.can_use(t, "C1", "service", failed + days(8)).allowed
    _pay_all(app, t, failed + days(9), "p4")
    assert _state(app, t) == "active"
    assert app.subscriptions.can_use(t, "C1", "service", failed + days(9)).allowed


def _no_purge_ever(app: App, t: str) -> None:
    kinds = {a.kind for a in app.work.actions(t)}
    assert ActionKind.personal_data_purge not in kinds
    kept = exported(app, t, "C1")
    assert kept["retention"] is None and kept["personal_data"]["name"] == "Sipho"


def test_a_year_of_kelbix_hosting(app: App) -> None:
    t = open_policy_tenant(app, "kelbix")
    _first_months(app, t, "ZAR", "450.00", "900.00")
    _walk_to(app, t, START + days(250))  # a renewal billed and left unpaid
    owed = _owed(app, t)
    assert owed.is_positive
    app.bus.handle(c.CancelSubscription(t, "cancel", "S1", START + days(251)))
    _walk_to(app, t, START + days(365))
    assert _state(app, t) == "cancelled"
    assert _owed(app, t) == owed  # fees billed before cancelling stay payable
    assert not app.subscriptions.can_use(t, "C1", "service", START + days(365)).allowed
    assert "subscription.cancelled" in notices(app, t)
    assert {a.state for a in app.work.actions(t) if a.due_at <= START + days(365)} == {
        ActionState.done
    }
    _no_purge_ever(app, t)


def test_a_year_of_a_kero_subscription(app: App) -> None:
    t = open_policy_tenant(app, "kero")
    _first_months(app, t, "USD", "49.00", "99.00")
    _walk_to(app, t, START + days(240))
    _pay_all(app, t, START + days(240), "p5")
    ended = START + days(250)
    app.bus.handle(c.TerminateSubscription(t, "term", "S1", "wallet transfer", ended))
    assert _state(app, t) == "terminated"
    assert not app.subscriptions.can_use(t, "C1", "service", ended).allowed  # at once
    _walk_to(app, t, START + days(365))
    assert "subscription.terminated" in notices(app, t)
    _no_purge_ever(app, t)
