"""Gateway callbacks on SQLite and PostgreSQL: Stripe-format events, signed with the
endpoint's secret and verified by the SDK's ``construct_event``, move a pending payout to
settled (one refund, one posting), open and close a dispute, and are applied once per event
id: a redelivery replays, a forged or stale event is refused and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from casefakes import charge_and_pay, policy_tenant, zar
from outbox_kit import PAID_AT, approved_payout, drain, refund_entries, sandbox, senders
from refundable.adapters.payments.sandbox import Faults
from refundable.adapters.payments.stripe_events import receive_stripe_event
from refundable.bootstrap import App
from refundable.core.errors import InputError
from stripe_kit import SECRET, event, signed


def test_a_refund_event_settles_a_pending_payout_once(
    app: App, tenant: str, tmp_path: Path
) -> None:
    assert app.outbox is not None
    gw = sandbox(tmp_path)
    gw.set_faults(Faults(slow_polls=5))
    approved_payout(app, tenant, f"{tenant}-k1", "40.00")
    assert drain(app, senders(gw), PAID_AT, tenant).waiting == 1
    [payout] = app.outbox.payouts(tenant)
    assert payout.state.value == "sent" and payout.gateway_refund_id
    refund = {"id": payout.gateway_refund_id, "object": "refund", "status": "succeeded",
              "amount": 4000, "currency": "zar",
              "metadata": {"payout_id": payout.payout_id, "tenant_id": tenant}}  # fmt: skip
    body, sig = signed(event("evt_1", "refund.updated", refund))
    first = receive_stripe_event(app.bus, SECRET, tenant, body, sig)
    assert first is not None and not first.replayed
    [settled] = app.outbox.payouts(tenant)
    assert settled.state.value == "settled"
    assert refund_entries(app, tenant) == [settled.entry_id]
    again = receive_stripe_event(app.bus, SECRET, tenant, body, sig)  # Stripe redelivers
    assert again is not None and again.replayed
    body2, sig2 = signed(event("evt_2", "charge.refund.updated", refund))  # other event, same news
    receive_stripe_event(app.bus, SECRET, tenant, body2, sig2)
    assert refund_entries(app, tenant) == [settled.entry_id] and len(gw.refunds()) == 1


def test_dispute_events_open_and_win_a_chargeback(app: App) -> None:
    tenant = policy_tenant(app, "conek")
    _, p = charge_and_pay(app, tenant, "C1", zar("100.00"), datetime(2026, 5, 4, 8, tzinfo=UTC))
    dispute = {"id": "dp_1", "object": "dispute", "amount": 10000, "currency": "zar",
               "payment_intent": p, "charge": "ch_x", "status": "needs_response",
               "metadata": {}}  # fmt: skip
    body, sig = signed(event("evt_d1", "charge.dispute.created", dispute))
    opened = receive_stripe_event(app.bus, SECRET, tenant, body, sig)
    assert opened is not None and opened.details["hold"] == "true"  # Conek 9.2: suspended
    assert str(app.queries.remaining_refundable(tenant, p)) == "ZAR 0.00"
    replay = receive_stripe_event(app.bus, SECRET, tenant, body, sig)
    assert replay is not None and replay.replayed
    closed = {**dispute, "status": "won"}
    body, sig = signed(event("evt_d2", "charge.dispute.closed", closed))
    receive_stripe_event(app.bus, SECRET, tenant, body, sig)
    assert app.queries.active_holds(tenant, "C1") == []
    assert str(app.queries.remaining_refundable(tenant, p)) == "ZAR 100.00"
    ignored = signed(event("evt_x", "customer.created", {"id": "cus_1", "object": "customer"}))
    assert receive_stripe_event(app.bus, SECRET, tenant, *ignored) is None


@pytest.mark.parametrize(
    ("secret", "age_s", "match"),
    [("whsec_other", 0, "does not verify"), (SECRET, 3600, "does not verify")],
)
def test_a_forged_or_stale_event_is_refused_and_writes_nothing(
    app: App, secret: str, age_s: int, match: str
) -> None:
    tenant = policy_tenant(app, "conek")
    _, p = charge_and_pay(app, tenant, "C1", zar("100.00"), datetime(2026, 5, 4, 8, tzinfo=UTC))
    dispute = {"id": "dp_9", "object": "dispute", "amount": 10000, "currency": "zar",
               "payment_intent": p, "status": "needs_response"}  # fmt: skip
    body, sig = signed(event("evt_f", "charge.dispute.created", dispute), secret, age_s)
    with pytest.raises(InputError, match=match) as err:
        receive_stripe_event(app.bus, SECRET, tenant, body, sig)
    assert err.value.where == "Stripe-Signature"
    assert str(app.queries.remaining_refundable(tenant, p)) == "ZAR 100.00"
    assert app.queries.active_holds(tenant, "C1") == []
