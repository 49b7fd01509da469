"""Subscriptions on SQLite and PostgreSQL: every field of both timelines round-trips, the
history is append-only, a stale write is refused, and a command's effects land together."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lifecycle_support import (
    CONEK_PLANS,
    START,
    days,
    define_plans,
    notices,
    open_policy_tenant,
    zar,
)
from refundable.billing.events import CancelMode
from refundable.billing.records import SubscriptionRecord
from refundable.billing.subscription import BillingState, Block, BlockReason
from refundable.bootstrap import App
from refundable.core.errors import TransitionRefused
from refundable.ledger import accounts as chart
from refundable.scheduling.model import ActionKind
from refundable.service import commands as c
from refundable.service.ports import Retry


def _with_uow(app: App, tenant: str, fn):  # type: ignore[no-untyped-def]
    with app.bus.uow_factory() as uow:
        out = fn(uow.repositories(tenant))
        uow.commit()
        return out


@pytest.fixture
def conek(app: App) -> str:
    tenant = open_policy_tenant(app, "conek")
    define_plans(app, tenant, CONEK_PLANS)
    return tenant


def test_every_field_of_both_timelines_round_trips(app: App, conek: str) -> None:
    app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "growth", START))
    app.bus.handle(c.DowngradePlan(conek, "d1", "S1", "starter", START + days(2)))
    stored = app.subscriptions.record(conek, "S1")
    assert stored is not None
    sub = stored.subscription
    assert sub.billing.pending_plan is not None and sub.billing.pending_plan.code == "starter"
    block = Block(BlockReason.non_payment, START + days(3), "7.1", frozenset({"panic_button"}))
    changed = replace(
        sub,
        access=replace(sub.access, blocked_by=frozenset({block})),
        billing=replace(sub.billing, first_failed_at=START + days(1), cancel_at=START + days(30),
                        state=BillingState.suspended, account_credit=zar("12.34")),
    )  # fmt: skip
    record = replace(stored, subscription=changed, version=stored.version + 1)
    _with_uow(app, conek, lambda r: r.subscriptions.save(record))
    again = app.subscriptions.record(conek, "S1")
    assert again == record
    assert again is not None and again.subscription.plan.features == frozenset({"messaging", "api"})


def test_a_write_from_a_stale_version_is_refused(app: App, conek: str) -> None:
    app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "starter", START))
    stored = app.subscriptions.record(conek, "S1")
    assert stored is not None
    stale = replace(stored, version=stored.version + 5)
    with pytest.raises(Retry):
        _with_uow(app, conek, lambda r: r.subscriptions.save(stale))
    assert app.subscriptions.record(conek, "S1") == stored


def test_history_records_who_when_what_and_the_clauses(app: App, conek: str) -> None:
    app.bus.handle(c.StartTrial(conek, "t1", "S1", "C1", "starter", 14, START, zar("20.00")))
    app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "starter", START + days(3),
                               actor_id="portal"))  # fmt: skip
    app.bus.handle(c.CancelSubscription(conek, "x1", "S1", START + days(5)))
    events = app.subscriptions.history(conek, "S1")
    assert [(e.seq, e.event, e.state, e.actor) for e in events] == [
        (1, "StartTrial", "trialing", "api"),
        (2, "Subscribe", "active", "portal"),
        (3, "Cancel", "cancel_pending", "api"),
    ]
    assert events[1].at == START + days(3)
    assert events[1].clauses == ("3.2", "5.1")  # billing, and the trial credits forfeited
    assert "forfeit ZAR 20.00" in events[1].detail


def test_a_refused_event_writes_nothing(app: App, conek: str) -> None:
    app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "starter", START))
    before = (app.subscriptions.record(conek, "S1"), len(app.queries.journal(conek)))
    with pytest.raises(TransitionRefused):  # Conek offers no immediate cancellation
        app.bus.handle(
            c.CancelSubscription(conek, "x1", "S1", START + days(1), CancelMode.immediate)
        )
    assert (app.subscriptions.record(conek, "S1"), len(app.queries.journal(conek))) == before
    assert len(app.subscriptions.history(conek, "S1")) == 1


def test_a_command_writes_its_postings_actions_and_notices_together(app: App, conek: str) -> None:
    r = app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "growth", START))
    assert len(r.entry_ids) == 2  # the charge and the plan's credits
    assert app.queries.balance(conek, chart.receivable("C1", "ZAR")) == 620
    assert app.queries.balance(conek, chart.deferred_revenue("C1", "ZAR")) == 120
    [renewal] = app.work.actions(conek)
    assert (renewal.kind, renewal.subject, renewal.due_at) == (
        ActionKind.renewal, "S1", START.replace(month=4),
    )  # fmt: skip
    assert notices(app, conek) == ["subscription.subscribed"]
    replay = app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "growth", START))
    assert replay.replayed and replay.entry_ids == r.entry_ids
    assert len(app.queries.journal(conek)) == 2


def test_plans_are_defined_once(app: App, conek: str) -> None:
    from refundable.billing.plans import Cycle
    from refundable.core.errors import IdempotencyConflict

    with pytest.raises(IdempotencyConflict):
        app.bus.handle(c.DefinePlan(conek, "other", "starter", 1, Cycle.monthly, zar("1.00")))
    stored = _with_uow(app, conek, lambda r: r.subscriptions.plan("starter"))
    assert stored is not None and stored.price == zar("310.00")


def test_records_survive_as_records(app: App, conek: str) -> None:
    app.bus.handle(c.Subscribe(conek, "s1", "S1", "C1", "starter", START))
    [rec] = app.subscriptions.of_customer(conek, "C1")
    assert isinstance(rec, SubscriptionRecord) and rec.created_at == START
