"""Conek 3.4: coming back after a cancellation starts a new subscription. Without the new
subscription's id the request is refused naming the field to give, not an internal one, and
nothing is written; with it the new subscription starts and the old one keeps its history."""

from __future__ import annotations

import pytest

from fakes import memory_app
from lifecycle_support import START, clocked_tenant, days, pay
from refundable.billing.events import CancelMode
from refundable.core.errors import InputError
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def test_a_reactivation_that_starts_a_new_subscription_asks_for_its_id() -> None:
    app = memory_app()
    t = clocked_tenant(app, "conek")
    app.bus.handle(c.Subscribe(t, "sub", "S1", "C1", "growth", START))
    app.bus.handle(
        c.CancelSubscription(t, "cancel", "S1", START + days(3), CancelMode.at_period_end)
    )
    advance_test_clock(app.bus, app.work, t, "clock", START + days(40))  # the period ends
    assert app.subscriptions.record(t, "S1").subscription.state.value == "cancelled"  # type: ignore[union-attr]
    pay(app, t, "S1", "620.00", START + days(44), "p1")  # nothing outstanding (3.4)
    before = app.subscriptions.history(t, "S1")
    with pytest.raises(InputError, match="needs an id") as refused:
        app.bus.handle(c.ReactivateSubscription(t, "back", "S1", "growth", START + days(45)))
    assert refused.value.where == "ReactivateSubscription.new_subscription_id"
    assert "new_subscription_id" in str(refused.value.allowed)
    assert app.subscriptions.history(t, "S1") == before
    app.bus.handle(c.ReactivateSubscription(t, "back2", "S1", "growth", START + days(45), "S2"))
    new = app.subscriptions.record(t, "S2")
    assert new is not None and new.subscription.state.value == "active"
