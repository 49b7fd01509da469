"""A declined renewal is asked for again at each dunning reminder after the failure (ADR 0079),
through the sandbox gateway, on SQLite and PostgreSQL: a card that works again is charged at
the next reminder, pays everything owed and ends dunning with no further retry; a card that
stays declined is asked once per reminder (days 3 and 6 of Conek 7.1), each a charge of its
own, and the subscription is suspended when grace ends, as before."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lifecycle_support import START, clocked_tenant, days, journal_balanced
from outbox_kit import drain, sandbox, senders
from refundable.adapters.payments.sandbox import Faults, SandboxGateway
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

DECLINED = "pm_declined"


def _start(app: App, tmp_path: Path) -> tuple[str, SandboxGateway]:
    t = clocked_tenant(app, "conek")
    gw = sandbox(tmp_path)
    gw.set_faults(Faults(invalid_refs=(DECLINED,)))
    app.bus.handle(c.AttachPaymentMethod(t, "pm", "C1", "sandbox", DECLINED, START))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    drain(app, senders(gw), START, t)  # the first period's charge: declined
    return t, gw


def _state(app: App, t: str) -> tuple[str, str]:
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None
    return rec.subscription.state.value, str(rec.subscription.billing.balance_due.amount)


def _asked(gw: SandboxGateway, t: str) -> list[tuple[str, str]]:
    mine = [r for r in gw.charges() if json.loads(r["metadata"])["tenant_id"] == t]
    return [(json.loads(r["metadata"])["charge_id"], r["status"]) for r in mine]


def _to(app: App, gw: SandboxGateway, t: str, day: float) -> None:
    at = START + days(day)
    advance_test_clock(app.bus, app.work, t, "clock", at)
    drain(app, senders(gw), at, t)


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_a_card_that_works_again_is_charged_at_the_next_reminder(app: App, tmp_path: Path) -> None:
    t, gw = _start(app, tmp_path)
    state, owed = _state(app, t)
    assert state == "past_due" and owed != "0.00"
    assert [s for _, s in _asked(gw, t)] == ["failed"]
    _to(app, gw, t, 2)
    assert len(_asked(gw, t)) == 1  # no retry before the day-3 reminder
    gw.set_faults(Faults())  # the customer's bank lets the card through again
    _to(app, gw, t, 3)
    assert sorted(s for _, s in _asked(gw, t)) == ["failed", "succeeded"]
    assert _state(app, t) == ("active", "0.00")
    _to(app, gw, t, 8)  # the day-6 reminder and grace's end find nothing owed
    assert len(_asked(gw, t)) == 2 and _state(app, t) == ("active", "0.00")
    payments = [e for e in app.queries.journal(t) if e.kind.value == "payment"]
    assert len(payments) == 1
    assert journal_balanced(app, t)


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_a_card_still_declined_is_asked_once_per_reminder_then_suspended(
    app: App, tmp_path: Path
) -> None:
    t, gw = _start(app, tmp_path)
    _to(app, gw, t, 3)
    _to(app, gw, t, 6)
    _to(app, gw, t, 8)
    asked = _asked(gw, t)
    assert [s for _, s in asked] == ["failed", "failed", "failed"]  # day 0, then days 3 and 6
    assert set(Counter(i for i, _ in asked).values()) == {1}  # each retry a charge of its own
    assert _state(app, t)[0] == "suspended"
    _to(app, gw, t, 12)  # nothing more is asked once the reminders are over
    assert len(_asked(gw, t)) == 3
    assert journal_balanced(app, t)
