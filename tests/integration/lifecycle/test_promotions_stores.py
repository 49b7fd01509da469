"""Conek 5.2/5.3 through the service on SQLite and PostgreSQL: offers are published data, a
discount lowers the renewals it covers (stored with the subscription between them), a second
offer that does not combine is refused and writes nothing, and promotional credits lapse as
breakage when the test clock passes the end of their promotional period."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from lifecycle_support import START, clocked_tenant, days, open_policy_tenant, pay
from refundable.bootstrap import App
from refundable.core.errors import IdempotencyConflict, InputError, TransitionRefused
from refundable.core.money import Money
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def zar(text: str) -> Money:
    return Money.of(text, "ZAR")


def _charges(app: App, t: str) -> list[Decimal]:
    """Each charge's amount (its debit line, in cents of ZAR), in posting order."""
    return [
        Decimal(max(line.amount for line in e.lines)) / 100
        for e in app.queries.journal(t)
        if e.kind.value == "charge"
    ]


def test_offers_discount_renewals_refuse_stacking_and_credits_lapse(app: App) -> None:
    t = clocked_tenant(app, "conek")
    app.bus.handle(c.DefinePromotion(t, "p1", "HALF", discount_percent=Decimal(50), cycles=1))
    app.bus.handle(c.DefinePromotion(t, "p2", "BONUS", credits=zar("40.00"),
                                     credits_valid_days=30))  # fmt: skip
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    pay(app, t, "S1", "310.00", START, "p0")
    offer = c.ApplyPromotion(t, "a1", "S1", "HALF", START + days(1))
    first = app.bus.handle(offer)
    assert app.bus.handle(offer) == first  # a retry replays
    with pytest.raises(IdempotencyConflict):
        app.bus.handle(dataclasses.replace(offer, promotion_id="BONUS"))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and [p.code for p in rec.subscription.promotions] == ["HALF"]
    before = len(app.queries.journal(t))
    with pytest.raises(TransitionRefused, match="cannot be combined"):
        app.bus.handle(c.ApplyPromotion(t, "a2", "S1", "BONUS", START + days(2)))
    assert len(app.queries.journal(t)) == before  # refused: nothing written
    advance_test_clock(app.bus, app.work, t, "clock", START + days(32))
    assert _charges(app, t) == [Decimal("310.00"), Decimal("155.00")]  # renewal at half
    pay(app, t, "S1", "155.00", START + days(32), "p1")
    advance_test_clock(app.bus, app.work, t, "clock", START + days(62))
    assert _charges(app, t)[-1] == Decimal("310.00")  # the offer's one cycle is used
    pay(app, t, "S1", "310.00", START + days(62), "p2")
    app.bus.handle(c.ApplyPromotion(t, "a3", "S1", "BONUS", START + days(63)))  # HALF is over
    advance_test_clock(app.bus, app.work, t, "clock", START + days(93) - days(0.5))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.promotions[-1].credits == zar("40.00")
    advance_test_clock(app.bus, app.work, t, "clock", START + days(94))
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.promotions[-1].credits == zar("0.00")
    lapsed = [e for e in app.queries.journal(t) if "promotional credits BONUS lapsed" in e.memo]
    assert len(lapsed) == 1 and "5.3" in lapsed[0].memo


def test_an_offer_is_checked_before_anything_is_written(app: App) -> None:
    t = open_policy_tenant(app, "conek")
    with pytest.raises(InputError, match="promotional period"):
        c.DefinePromotion(t, "p", "FOREVER", credits=zar("10.00"))
