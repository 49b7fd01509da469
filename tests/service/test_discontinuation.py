"""MyProtektor 10.2 through the service: discontinuing a plan less than 60 days ahead is
refused and writes nothing; 60 days ahead it is accepted, the plan is no longer sold, the
subscribers are told and reminded, and at the end their subscriptions stop and the prepaid
unused part goes to a refund case decided by the business-closure rule (10.2, paid per 4.2)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from lifecycle_support import START, clocked_tenant, days, journal_balanced, notices, pay
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.errors import NoticeTooShort, TransitionRefused
from refundable.core.time import FixedClock
from refundable.ledger.ids import derived_id
from refundable.scheduling.model import ActionKind
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

NOTICE = timedelta(days=60)


def _app() -> tuple[App, str]:
    app = bootstrap(MEMORY_URL, FixedClock(START))
    t = clocked_tenant(app, "myprotektor")
    for n, plan in ((1, "analyst"), (2, "analyst"), (3, "viewer")):
        app.bus.handle(c.Subscribe(t, f"s{n}", f"S{n}", f"C{n}", plan, START))
        pay(app, t, f"S{n}", "620.00" if plan == "analyst" else "310.00", START, f"p{n}")
    return app, t


def _state(app: App, t: str, sid: str) -> str:
    rec = app.subscriptions.record(t, sid)
    assert rec is not None
    return rec.subscription.state.value


def test_an_end_inside_the_notice_is_refused_and_writes_nothing() -> None:
    app, t = _app()
    at = START + days(1)
    before = len(app.work.actions(t)), len(app.work.outbox(t))
    with pytest.raises(NoticeTooShort) as err:
        app.bus.handle(c.DiscontinueService(t, "d", "d1", "analyst", at + NOTICE - days(1), at))
    assert "10.2" in str(err.value)
    assert (at + NOTICE).isoformat() in (err.value.allowed or "")
    assert (len(app.work.actions(t)), len(app.work.outbox(t))) == before
    app.bus.handle(c.Subscribe(t, "s9", "S9", "C9", "analyst", at))  # still sold


def test_with_60_days_notice_subscribers_are_told_reminded_and_ended_with_a_refund() -> None:
    app, t = _app()
    at = START + days(10)
    end = at + NOTICE
    receipt = app.bus.handle(c.DiscontinueService(t, "d", "d1", "analyst", end, at))
    assert receipt.details["ran"] == "2"  # S1 and S2; the viewer plan is not affected
    assert notices(app, t).count("subscription.discontinuation_announced") == 2
    with pytest.raises(TransitionRefused, match="discontinued"):
        app.bus.handle(c.Subscribe(t, "s9", "S9", "C9", "analyst", at + days(1)))
    now = at
    while now < end + days(1):  # renewals keep being paid until the end
        now = min(now + days(5), end + days(1))
        advance_test_clock(app.bus, app.work, t, "clock", now)
        for sid, cid in (("S1", "C1"), ("S2", "C2"), ("S3", "C3")):
            rec = app.subscriptions.record(t, sid)
            assert rec is not None
            owed = rec.subscription.billing.balance_due.amount
            if owed > 0:
                pay(app, t, sid, str(owed), now, f"{sid}-{now:%m%d}-{cid}")
    assert notices(app, t).count("subscription.discontinuation_notice") == 4  # 30 and 7 days
    assert (_state(app, t, "S1"), _state(app, t, "S2"), _state(app, t, "S3")) == (
        "cancelled", "cancelled", "active")  # fmt: skip
    s1 = app.subscriptions.record(t, "S1")
    assert s1 is not None and s1.subscription.access.until_at == end
    assert app.cases_read is not None
    case = app.cases_read.case(t, derived_id("disc", "S1", "0"))
    assert case is not None and case.reason == "business_closure"
    [decided] = [e for e in app.cases_read.events(t, case.case_id) if "rule" in e.data]
    assert decided.data["rule"] == "business-closure"
    assert decided.data["clauses"].split(",")[:1] == ["10.2"]
    bill = s1.subscription.billing  # the period the end cut short, paid in advance
    ahead = (
        Decimal((bill.period_end_at - end).days) / (bill.period_end_at - bill.period_start_at).days
    )
    expected = (Decimal("620.00") * ahead).quantize(Decimal("0.01"))
    assert decided.data["net"] == f"ZAR {expected}"  # the policy's rule: the unused part
    assert f"ZAR {expected} prepaid" in app.subscriptions.history(t, "S1")[-1].detail
    due = {a.kind for a in app.work.actions(t) if a.subject == "S1"}
    assert ActionKind.discontinuation in due and ActionKind.discontinuation_notice in due
    assert journal_balanced(app, t)
