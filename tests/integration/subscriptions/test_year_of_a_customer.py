"""A year of one customer's life on a test clock, for Conek and for MyProtektor, on SQLite and
PostgreSQL: sign-up, trial, upgrade, downgrade, failed payment, dunning, suspension,
reactivation, cancellation and the retention date. At each step the test checks the ledger,
the access timeline, the scheduled actions and the notices.

The test plays the payment gateway: after each renewal it records the payment of what is owed
(``RecordRenewalPayment``), except once, when it records a failure. Expected amounts are
computed here from the plan prices and the calendar, not read back from the code under test.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

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
from refundable.billing.events import CancelMode
from refundable.bootstrap import App
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.scheduling.model import ActionKind, ActionState
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def d(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 8, 0, tzinfo=UTC)


def prorated(amount: str, at: datetime, start: datetime, end: datetime) -> Decimal:
    share = Decimal(int((end - at).total_seconds())) / Decimal(int((end - start).total_seconds()))
    return (Decimal(amount) * share).quantize(Decimal("0.01"), ROUND_HALF_UP)


class Life:
    """One customer's subscription S1 on a tenant with a test clock, and the checks."""

    def __init__(self, app: App, policy: str, plans: tuple[dict[str, object], ...]) -> None:
        self.app, self.t = app, open_policy_tenant(app, policy)
        define_plans(app, self.t, plans)
        app.bus.handle(c.CreateTestClock(self.t, "clock", "clock", START))
        self.payments = 0

    def advance(self, to: datetime) -> None:
        advance_test_clock(self.app.bus, self.app.work, self.t, "clock", to)

    def sub(self):  # type: ignore[no-untyped-def]
        rec = self.app.subscriptions.record(self.t, "S1")
        assert rec is not None
        return rec.subscription

    def owed(self) -> Decimal:
        return self.app.queries.balance(self.t, chart.receivable("C1", "ZAR"))

    def pay_all(self, at: datetime) -> Decimal:
        """Pay what the ledger says is owed (the gateway's part)."""
        owed = self.owed()
        assert owed == self.sub().billing.balance_due.amount  # ledger and subscription agree
        self.payments += 1
        pay(self.app, self.t, "S1", str(owed), at, f"pay{self.payments}")
        assert self.owed() == self.sub().billing.balance_due.amount
        return owed

    def pending(self) -> list[tuple[ActionKind, datetime]]:
        return [
            (a.kind, a.due_at)
            for a in self.app.work.actions(self.t)
            if a.state is ActionState.pending
        ]

    def can_use(self, feature: str, at: datetime) -> bool:
        return self.app.subscriptions.can_use(self.t, "C1", feature, at).allowed

    def account(self, kind: chart.Kind) -> Decimal:
        return self.app.queries.balance(self.t, chart.tenant_account(kind, "ZAR"))


def test_a_year_of_a_conek_customer(app: App) -> None:
    life = Life(app, "conek", CONEK_PLANS)
    t = life.t
    # sign-up on a 14-day trial with R20 of trial credits: no card, no charge (5.1)
    app.bus.handle(c.StartTrial(t, "trial", "S1", "C1", "starter", 14, START, zar("20.00")))
    assert life.sub().state.value == "trialing" and life.owed() == 0
    assert life.sub().access.until_at == START + days(14)
    assert life.pending() == [(ActionKind.trial_end, START + days(14))]
    assert app.queries.balance(t, chart.deferred_revenue("C1", "ZAR")) == 20
    # day 10: subscribes to starter; trial credits forfeited (5.1); first month charged
    life.advance(d(3, 12))
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "starter", d(3, 12)))
    assert life.account(chart.Kind.breakage) == 20
    assert life.pay_all(d(3, 12)) == Decimal("310.00")
    assert (ActionKind.renewal, d(4, 12)) in life.pending()
    assert life.sub().access.until_at == d(4, 12)
    # day 20: upgrade to growth, at once, pro rata for the rest of the cycle (6.2), same date
    app.bus.handle(c.UpgradePlan(t, "up", "S1", "growth", d(3, 22)))
    assert life.owed() == prorated("310.00", d(3, 22), d(3, 12), d(4, 12)) == Decimal("210.00")
    assert life.account(chart.Kind.breakage) == 70  # starter's R50 credits forfeited
    life.pay_all(d(3, 22))
    assert life.sub().billing.period_end_at == d(4, 12)
    # renewal at the growth price
    life.advance(d(4, 13))
    assert life.pay_all(d(4, 13)) == Decimal("620.00")
    # downgrade: scheduled for the end of the cycle, no refund (6.1)
    app.bus.handle(c.DowngradePlan(t, "down", "S1", "starter", d(5, 1)))
    assert life.sub().plan.code == "growth" and life.owed() == 0
    assert (ActionKind.plan_change, d(5, 12)) in life.pending()
    life.advance(d(5, 13))
    assert life.sub().plan.code == "starter"
    assert life.pay_all(d(5, 13)) == Decimal("310.00")
    # June renewal: the payment fails; dunning notices on days 0, 3, 6; access during grace
    life.advance(d(6, 12))
    app.bus.handle(c.RecordPaymentFailure(t, "fail", "S1", d(6, 12), "card declined"))
    assert life.sub().state.value == "past_due"
    assert {(ActionKind.grace_end, d(6, 19)), (ActionKind.dunning_notice, d(6, 18))} <= set(
        life.pending()
    )
    life.advance(d(6, 18, 2026).replace(hour=9))
    assert life.can_use("messaging", d(6, 18).replace(hour=9))
    # grace over: suspended (7.1); the July renewal is not charged while suspended
    life.advance(d(7, 13))
    assert life.sub().state.value == "suspended"
    assert not life.can_use("messaging", d(7, 13))
    assert notices(app, t).count("subscription.dunning_notice") == 3
    assert "subscription.suspended" in notices(app, t)
    assert life.owed() == Decimal("310.00")  # June only
    assert (ActionKind.retention_purge, d(6, 19) + days(30)) in life.pending()
    # paying all that is owed reinstates; billing resumes at the period containing today
    assert life.pay_all(d(7, 20)) == Decimal("310.00")
    assert life.sub().state.value == "active" and life.can_use("messaging", d(7, 20))
    assert life.owed() == Decimal("310.00")
    assert life.sub().billing.period_start_at == d(7, 12)
    assert life.pay_all(d(7, 20)) == Decimal("310.00")  # the July period, charged now
    # August to November renew and are paid
    for month in (8, 9, 10, 11):
        life.advance(d(month, 12))
        assert life.pay_all(d(month, 12)) == Decimal("310.00")
    # cancellation: access to the end of the paid period, then it ends (3.2)
    app.bus.handle(c.CancelSubscription(t, "cancel", "S1", d(12, 1)))
    assert life.sub().state.value == "cancel_pending"
    assert life.can_use("messaging", d(12, 11))
    life.advance(d(12, 13))
    sub = life.sub()
    assert sub.state.value == "cancelled" and sub.access.until_at == d(12, 12)
    assert not life.can_use("messaging", d(12, 13)) and life.owed() == 0
    purge_at = d(12, 12) + days(180)  # 180 days after cancellation (3.4)
    assert (ActionKind.retention_purge, purge_at) in life.pending()
    # the retention date comes: the deletion is announced
    life.advance(purge_at + days(1))
    assert notices(app, t)[-1] == "subscription.retention_due"
    # the year's ledger: every charge paid, revenue = the charges, balanced
    assert life.account(chart.Kind.revenue) == Decimal("3310.00")
    assert journal_balanced(app, t)
    events = [e.event for e in app.subscriptions.history(t, "S1")]
    assert events[:4] == ["StartTrial", "Subscribe", "PaymentSucceeded", "Upgrade"]
    assert "GraceEnded" in events and events[-1] == "PeriodEnd"


def test_a_year_of_a_myprotektor_customer(app: App) -> None:
    life = Life(app, "myprotektor", MYPROTEKTOR_PLANS)
    t = life.t
    # MyProtektor offers no trial: a paid viewer seat from day 0
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "viewer", d(3, 2)))
    assert life.pay_all(d(3, 2)) == Decimal("310.00")
    # upgrade to analyst pro rata
    app.bus.handle(c.UpgradePlan(t, "up", "S1", "analyst", d(3, 12)))
    assert life.owed() == prorated("310.00", d(3, 12), d(3, 2), d(4, 2))
    life.pay_all(d(3, 12))
    life.advance(d(4, 2))
    assert life.pay_all(d(4, 2)) == Decimal("620.00")
    # downgrade: now, with a pro-rata credit applied to the next cycle (4.2/4.3)
    app.bus.handle(c.DowngradePlan(t, "down", "S1", "viewer", d(4, 17)))
    credit = prorated("310.00", d(4, 17), d(4, 2), d(5, 2))
    assert app.queries.balance(t, chart.account_credit("C1", "ZAR")) == credit
    assert life.sub().plan.code == "viewer"
    life.advance(d(5, 2))
    assert life.pay_all(d(5, 2)) == Decimal("310.00") - credit
    assert app.queries.balance(t, chart.account_credit("C1", "ZAR")) == 0
    # June: payment fails; suspension after grace blocks everything but the exempt features
    life.advance(d(6, 2))
    app.bus.handle(c.RecordPaymentFailure(t, "fail", "S1", d(6, 2)))
    life.advance(d(6, 10))
    assert life.sub().state.value == "suspended"
    assert not life.can_use("dashboard", d(6, 10))
    assert life.can_use("panic_button", d(6, 10)) and life.can_use("emergency_dispatch", d(6, 10))
    assert "subscription.suspended" in notices(app, t)
    life.pay_all(d(6, 12))  # reinstated
    assert life.sub().state.value == "active" and life.can_use("dashboard", d(6, 12))
    for month in (7, 8, 9):
        life.advance(d(month, 2))
        assert life.pay_all(d(month, 2)) == Decimal("310.00")
    # cancellation at the period end (5.2), then reactivation within 90 days (5.3)
    app.bus.handle(c.CancelSubscription(t, "cancel", "S1", d(9, 20)))
    life.advance(d(10, 3))
    assert life.sub().state.value == "cancelled" and life.sub().access.until_at == d(10, 2)
    assert not life.can_use("panic_button", d(10, 3))  # exempt features end with it
    assert (ActionKind.retention_purge, d(10, 2) + days(90)) in life.pending()
    app.bus.handle(c.ReactivateSubscription(t, "back", "S1", "viewer", d(11, 1)))
    assert life.sub().state.value == "active" and life.can_use("dashboard", d(11, 1))
    assert life.pay_all(d(11, 1)) == Decimal("310.00")
    # the old retention date passes harmlessly: the customer came back in time
    life.advance(d(12, 31) + days(1))
    assert "subscription.retention_due" not in notices(app, t)
    life.pay_all(d(12, 31) + days(1))  # the December renewal
    # final closure: immediate cancellation, early-termination charge 0 (a named parameter)
    app.bus.handle(c.CancelSubscription(t, "close", "S1", d(1, 10, 2027), CancelMode.immediate))
    assert life.sub().state.value == "cancelled" and life.owed() == 0
    assert not life.can_use("dashboard", d(1, 10, 2027))
    life.advance(d(1, 10, 2027) + days(91))
    assert notices(app, t)[-1] == "subscription.retention_due"
    assert journal_balanced(app, t)


def test_a_late_annual_notice_cancels_at_the_following_renewal(app: App) -> None:
    life = Life(app, "myprotektor", MYPROTEKTOR_PLANS)
    t = life.t
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "org-annual", d(3, 2)))
    life.pay_all(d(3, 2))
    # 20 days before renewal: inside the 30-day window (5.2), so it renews once more
    app.bus.handle(c.CancelSubscription(t, "cancel", "S1", d(2, 10, 2027)))
    assert "subscription.cancellation_deferred" in notices(app, t)
    life.advance(d(3, 3, 2027))
    assert life.sub().state.value == "cancel_pending"
    assert life.pay_all(d(3, 3, 2027)) == Decimal("6000.00")
    life.advance(d(3, 3, 2028))
    assert life.sub().state.value == "cancelled"
    assert life.sub().access.until_at == d(3, 2, 2028)
