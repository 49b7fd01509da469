"""Retention follows the subscription lifecycle on SQLite and PostgreSQL (ADR 0051): a
suspension starts Conek's 30-day period, paying everything withdraws it, a cancellation at
the period end starts the 180-day period, and the purge drops the personal data while the
ledger keeps every amount."""

from __future__ import annotations

from decimal import Decimal

from lifecycle_support import START, clocked_tenant, days, pay
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock
from retention_support import exported


def test_suspension_reinstatement_cancellation_and_purge(app: App) -> None:
    t = clocked_tenant(app, "conek")
    app.bus.handle(c.RegisterCustomer(t, "reg", "C1"))
    app.bus.handle(c.RecordCustomerProfile(t, "prof", "C1", START, name="Lerato", phone="082"))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    pay(app, t, "S1", "310.00", START, "p0")
    advance_test_clock(app.bus, app.work, t, "clock", START + days(31))  # renewed, unpaid
    failed = START + days(31)
    app.bus.handle(c.RecordPaymentFailure(t, "f1", "S1", failed))
    advance_test_clock(app.bus, app.work, t, "clock", failed + days(8))  # suspended at grace end
    suspended = exported(app, t, "C1")["retention"]
    assert (suspended["trigger"], suspended["clause"]) == ("suspension", "7.1")
    assert suspended["export_available_until"] == (failed + days(7 + 30)).isoformat()

    pay(app, t, "S1", "310.00", failed + days(8), "p1")  # everything owed: reinstated
    assert exported(app, t, "C1")["retention"]["state"] == "withdrawn"
    app.bus.handle(c.CancelSubscription(t, "cancel", "S1", failed + days(9)))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None
    period_end = rec.subscription.billing.period_end_at
    advance_test_clock(app.bus, app.work, t, "clock", period_end + days(1))
    cancelled = exported(app, t, "C1")
    assert cancelled["retention"]["trigger"] == "cancellation"
    purge_at = period_end + days(180)
    assert cancelled["retention"]["export_available_until"] == purge_at.isoformat()
    assert cancelled["personal_data"]["name"] == "Lerato"  # the suspension's date was withdrawn

    advance_test_clock(app.bus, app.work, t, "clock", purge_at)
    purged = exported(app, t, "C1")
    assert purged["personal_data"]["name"] is None
    assert purged["erasures"][0]["clause"] == "3.4"
    assert purged["statement"] == cancelled["statement"]
    charged = [Decimal(x["amount"]) for x in purged["statement"] if x["kind"] == "charge"]
    assert sum(charged) == Decimal("620.00")  # the first month and the renewal
