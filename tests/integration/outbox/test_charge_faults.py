"""Renewals collected through the sandbox gateway while it misbehaves (ADR 0066), on SQLite
and PostgreSQL: calls time out before and after the charge is made, every callback comes
twice, one customer's card is declined. Over three months of a test clock every charge is
made at the gateway once, each success is one payment on the ledger, and the declined
customer is in dunning, then suspended."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

from lifecycle_support import START, clocked_tenant, days, journal_balanced
from outbox_kit import drain, sandbox, senders
from refundable.adapters.payments.sandbox import Faults
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.outbox import RetryPolicy
from refundable.service.outbox_senders import apply_charge_answer
from refundable.service.outbox_store import MessageState
from refundable.service.ports import GatewayCharge
from refundable.service.scheduled import advance_test_clock

CUSTOMERS = 5
DECLINED = "pm_declined"
FAULTS = Faults(timeout_before=0.3, timeout_after=0.3, duplicate_callbacks=True,
                invalid_refs=(DECLINED,), seed=7)  # fmt: skip
POLICY = RetryPolicy(first=timedelta(minutes=1), max_failures=30)


def test_each_renewal_is_charged_once_through_timeouts_and_duplicate_callbacks(
    app: App, tmp_path: Path
) -> None:
    assert app.outbox is not None
    t = clocked_tenant(app, "conek")
    gw = sandbox(tmp_path)
    gw.set_faults(FAULTS)
    for n in range(CUSTOMERS):
        ref = DECLINED if n == 0 else f"pm_{n}"
        app.bus.handle(c.AttachPaymentMethod(t, f"pm{n}", f"C{n}", "sandbox", ref, START))
        app.bus.handle(c.Subscribe(t, f"s{n}", f"S{n}", f"C{n}", "starter", START))
    now, heard = START, 0
    while now < START + days(70):
        for _ in range(20):  # drain until no charge is left pending (retries back off)
            drain(app, senders(gw), now, t, POLICY)
            for cb in gw.take_charge_callbacks():
                answer = GatewayCharge(cb.gateway_charge_id, cb.status, cb.failure_reason)
                apply_charge_answer(app.bus, t, cb.metadata, answer, gw.name)
                heard += 1
            if not app.outbox.messages(t, MessageState.pending):
                break
            now += timedelta(minutes=30)
        now += days(1)
        advance_test_clock(app.bus, app.work, t, "clock", now)
    mine = [r for r in gw.charges() if json.loads(r["metadata"])["tenant_id"] == t]
    made = Counter(json.loads(r["metadata"])["charge_id"] for r in mine)
    assert set(made.values()) == {1}  # never a second charge for one of ours
    succeeded = {r["charge_id"] for r in mine if r["status"] == "succeeded"}
    payments = [e.ref for e in app.queries.journal(t) if e.kind.value == "payment"]
    assert sorted(payments) == sorted(succeeded)  # each success is one payment
    assert len(succeeded) == 3 * (CUSTOMERS - 1)  # first period and two renewals each
    for n in range(1, CUSTOMERS):
        rec = app.subscriptions.record(t, f"S{n}")
        assert rec is not None and rec.subscription.billing.balance_due.amount == 0
    declined = app.subscriptions.record(t, "S0")
    assert declined is not None and declined.subscription.state.value == "suspended"
    outcomes = Counter(o for _, _, o in gw.calls())
    assert outcomes["timeout_before"] > 0 and outcomes["timeout_after"] > 0  # faults fired
    assert heard >= 2 * len(mine)  # every callback came twice and changed nothing
    assert app.outbox.messages(t, MessageState.dead) == []
    assert journal_balanced(app, t)
