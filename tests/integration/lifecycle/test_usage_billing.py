"""Usage and overage (MyProtektor 6.1, 6.2; ADR 0049) on SQLite and PostgreSQL: units beyond a
plan's allowance are charged at its published rate; a dispute of that charge is decided by the
policy from the charge as stored: a system error inside 30 days of the invoice is reversed, a
dispute after the window is denied citing 6.2."""

from __future__ import annotations

import dataclasses

import pytest

from lifecycle_support import START, days, open_policy_tenant, zar
from refundable.billing.plans import Cycle, UsageAllowance
from refundable.bootstrap import App
from refundable.core.errors import IdempotencyConflict, InputError, TransitionRefused
from refundable.ledger import accounts as chart
from refundable.policy.facts import Reason
from refundable.service import commands as c

ALARMS = UsageAllowance("alarm_events", 100, zar("2.50"))


def _tenant(app: App, policy: str = "myprotektor") -> str:
    t = open_policy_tenant(app, policy)
    app.bus.handle(c.DefinePlan(t, "plan", "analyst", 2, Cycle.monthly, zar("620.00"),
                                usage=(ALARMS,)))  # fmt: skip
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "analyst", START))
    return t


def test_overage_is_charged_at_the_published_rate_and_disputes_follow_the_policy(app: App) -> None:
    t = _tenant(app)
    owed = app.queries.balance(t, chart.receivable("C1", "ZAR"))
    within = app.bus.handle(c.BillOverage(t, "o0", "ov0", "S1", "alarm_events", 80, START))
    assert within.details["outcome"] == "within_allowance" and within.entry_ids == ()
    billed = app.bus.handle(
        c.BillOverage(t, "o1", "ov1", "S1", "alarm_events", 130, START + days(30))
    )
    assert billed.details["amount"] == "75.00"  # 30 over 100, at R2.50
    assert app.queries.balance(t, chart.receivable("C1", "ZAR")) == owed + 75
    [entry_id] = billed.entry_ids
    late = app.bus.handle(c.DisputeUsageCharge(
        t, "d-late", "dec-late", entry_id, Reason.system_error, START + days(61)
    ))  # fmt: skip
    assert (late.details["outcome"], late.details["rule"]) == ("deny", "usage-dispute-late")
    inside = app.bus.handle(c.DisputeUsageCharge(
        t, "d-in", "dec-in", entry_id, Reason.system_error, START + days(40)
    ))  # fmt: skip
    assert inside.details["outcome"] == "approve" and inside.details["amount"] == "75.00"


def test_overage_and_disputes_replay_and_refuse_another_payload(app: App) -> None:
    t = _tenant(app)
    bill = c.BillOverage(t, "o1", "ov1", "S1", "alarm_events", 130, START + days(30))
    first = app.bus.handle(bill)
    assert app.bus.handle(bill) == first
    with pytest.raises(IdempotencyConflict):
        app.bus.handle(dataclasses.replace(bill, units=131))
    [entry_id] = first.entry_ids
    dispute = c.DisputeUsageCharge(t, "d", "dec", entry_id, Reason.system_error, START + days(40))
    decided = app.bus.handle(dispute)
    assert app.bus.handle(dispute) == decided
    with pytest.raises(IdempotencyConflict):
        app.bus.handle(dataclasses.replace(dispute, reason=Reason.accidental_activation))


def test_overage_needs_a_metered_metric_and_a_policy_that_bills_it(app: App) -> None:
    t = _tenant(app)
    with pytest.raises(InputError, match="does not meter 'sms'"):
        app.bus.handle(c.BillOverage(t, "o", "ov", "S1", "sms", 5, START))
    conek = _tenant(app, "conek")
    with pytest.raises(TransitionRefused, match="no overage billing"):
        app.bus.handle(c.BillOverage(conek, "o", "ov", "S1", "alarm_events", 500, START))
