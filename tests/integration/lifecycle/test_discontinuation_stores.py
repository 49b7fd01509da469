"""MyProtektor 10.2 on SQLite and PostgreSQL: the discontinuation is stored (the plan is no
longer sold), the live subscriptions on the plan are found, and at the end each one stops and
the prepaid unused part goes to a business-closure case about the customer's latest payment."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from lifecycle_support import START, clocked_tenant, days, pay
from refundable.bootstrap import App
from refundable.core.errors import IdempotencyConflict, NoticeTooShort, TransitionRefused
from refundable.ledger.ids import derived_id
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def test_a_discontinued_plan_ends_its_subscriptions_with_a_refund_case(app: App) -> None:
    t = clocked_tenant(app, "myprotektor")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "org-annual", START))
    pay(app, t, "S1", "6000.00", START, "p1")
    app.bus.handle(c.Subscribe(t, "s2", "S2", "C2", "viewer", START))
    at, end = START + days(100), START + days(165)
    with pytest.raises(NoticeTooShort):
        app.bus.handle(c.DiscontinueService(t, "d0", "d0", None, at + days(59), at))
    announce = c.DiscontinueService(t, "d1", "d1", "org-annual", end, at)
    first = app.bus.handle(announce)
    assert app.bus.handle(announce) == first  # a retry replays: nothing scheduled twice
    with pytest.raises(IdempotencyConflict):
        app.bus.handle(dataclasses.replace(announce, effective_at=end + days(1)))
    with pytest.raises(TransitionRefused, match="discontinued"):
        app.bus.handle(c.Subscribe(t, "s3", "S3", "C3", "org-annual", at + timedelta(hours=1)))
    advance_test_clock(app.bus, app.work, t, "clock", end + days(1))
    s1 = app.subscriptions.record(t, "S1")
    assert s1 is not None and s1.subscription.state.value == "cancelled"
    assert s1.subscription.access.until_at == end
    s2 = app.subscriptions.record(t, "S2")
    assert s2 is not None and s2.subscription.state.value != "cancelled"  # another plan
    assert app.cases_read is not None
    case = app.cases_read.case(t, derived_id("disc", "S1", "0"))
    assert case is not None and (case.reason, case.subject_id) == ("business_closure", "p1")
