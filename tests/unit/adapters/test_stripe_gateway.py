"""The Stripe gateway on the official SDK against a local fake of Stripe's refunds and
PaymentIntents APIs (no network): our idempotency key travels as Stripe's ``Idempotency-Key``
header and a replay returns the first refund or charge; statuses map onto ours; a card decline
(402) is a failed charge with its decline code; a 5xx is "unavailable", to be retried."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

import pytest

from local_http import serving
from outbox_kit import caseless_payouts
from refundable.adapters.payments.stripe_gateway import StripeGateway, client
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service.ports import (
    ChargeStatus,
    GatewayChargeRequest,
    GatewayRefundRequest,
    GatewayUnavailable,
    RefundStatus,
)


@pytest.fixture(autouse=True)
def _caseless() -> Iterator[None]:
    """These payouts belong to no refund case (see ``outbox_kit.caseless_payouts``)."""
    with caseless_payouts():
        yield


@dataclass
class FakeStripe:
    """Just enough of /v1/refunds: create (idempotent by key) and retrieve."""

    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    status: str = "pending"
    fail_with: int | None = None
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    intent_status: str = "succeeded"
    decline: str | None = None  # a decline code: confirming the intent fails with a 402


@contextmanager
def fake_stripe() -> Iterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
            key = self.headers.get("Idempotency-Key", "")
            fake.requests.append(("POST", key, {k: v[0] for k, v in form.items()}))
            if fake.fail_with:
                return self._send(fake.fail_with, {"error": {"type": "api_error",
                                                             "message": "boom"}})  # fmt: skip
            if self.path.startswith("/v1/payment_intents"):
                return self._intent(key, form)
            if key not in fake.by_key:
                rid = f"re_{uuid.uuid4().hex[:14]}"
                fake.by_key[key] = rid
                fake.refunds[rid] = {"id": rid, "object": "refund", "status": fake.status,
                                     "amount": int(form["amount"][0]), "currency": "zar",
                                     "payment_intent": form.get("payment_intent", [None])[0],
                                     "failure_reason": "expired_or_canceled_card"
                                     if fake.status == "failed" else None}  # fmt: skip
            self._send(200, fake.refunds[fake.by_key[key]])

        def _intent(self, key: str, form: dict[str, list[str]]) -> None:
            if key not in fake.by_key:
                pid = f"pi_{uuid.uuid4().hex[:14]}"
                fake.by_key[key] = pid
                status = "requires_payment_method" if fake.decline else fake.intent_status
                fake.intents[pid] = {"id": pid, "object": "payment_intent", "status": status,
                                     "amount": int(form["amount"][0]),
                                     "currency": form["currency"][0],
                                     "payment_method": form["payment_method"][0],
                                     "decline": fake.decline}  # fmt: skip
            intent = fake.intents[fake.by_key[key]]
            if intent["decline"]:  # Stripe answers a declined confirmation with a card error
                return self._send(402, {"error": {
                    "type": "card_error", "code": "card_declined", "message": "declined",
                    "decline_code": intent["decline"], "payment_intent": intent}})  # fmt: skip
            self._send(200, intent)

        def do_GET(self) -> None:
            rid = self.path.rsplit("/", 1)[-1]
            fake.requests.append(("GET", rid, {}))
            self._send(200, fake.intents[rid] if rid.startswith("pi_") else fake.refunds[rid])

        def log_message(self, *args: Any) -> None:
            return None

    with serving(Handler) as base:
        yield fake, base


def _request(key: str = "refundable-acme-msg-1") -> GatewayRefundRequest:
    return GatewayRefundRequest(key, Money.of("40.00", "ZAR"), "pi_123", Method.card,
                                {"payout_id": "po-1"})  # fmt: skip


def test_our_key_travels_and_a_replay_returns_the_same_refund() -> None:
    with fake_stripe() as (fake, base):
        gw = StripeGateway(client("sk_test_123", base))
        first = gw.refund(_request())
        again = gw.refund(_request())
    assert first == again and first.status is RefundStatus.pending
    assert len(fake.refunds) == 1
    [(_, key, form), _] = fake.requests
    assert key == "refundable-acme-msg-1"
    assert (form["amount"], form["payment_intent"], form["metadata[payout_id]"]) == (
        "4000", "pi_123", "po-1")  # fmt: skip


def test_status_is_fetched_and_mapped() -> None:
    with fake_stripe() as (fake, base):
        gw = StripeGateway(client("sk_test_123", base))
        made = gw.refund(_request())
        fake.refunds[made.gateway_refund_id]["status"] = "succeeded"
        assert gw.refund_status(made.gateway_refund_id).status is RefundStatus.succeeded
        fake.status = "failed"
        failed = gw.refund(_request("another-key"))
    assert (failed.status, failed.failure_reason) == (RefundStatus.failed,
                                                      "expired_or_canceled_card")  # fmt: skip


def test_a_server_error_is_unavailable_not_a_decline() -> None:
    with fake_stripe() as (fake, base):
        fake.fail_with = 503
        with pytest.raises(GatewayUnavailable):
            StripeGateway(client("sk_test_123", base)).refund(_request())
    assert len(fake.requests) == 1  # the SDK does not retry on its own: the worker does


def test_a_payout_through_the_worker_waits_for_stripe_then_settles_once() -> None:
    from datetime import timedelta

    from fakes import TENANT, memory_app
    from outbox_kit import PAID_AT, approved_payout, drain, refund_entries, senders

    app = memory_app()
    approved_payout(app, TENANT, "case1")
    with fake_stripe() as (fake, base):
        wired = senders(StripeGateway(client("sk_test_123", base)))
        assert drain(app, wired).waiting == 1  # Stripe says pending
        [rid] = fake.refunds
        fake.refunds[rid]["status"] = "succeeded"
        assert drain(app, wired, PAID_AT + timedelta(hours=2)).sent == 1
    assert app.outbox is not None
    [payout] = app.outbox.payouts(TENANT)
    assert (payout.state.value, payout.gateway, payout.gateway_refund_id) == (
        "settled", "stripe", rid)  # fmt: skip
    assert len(refund_entries(app, TENANT)) == 1
    assert [m for m, _, _ in fake.requests] == ["POST", "GET"]


def _charge(key: str = "refundable-acme-chg-1") -> GatewayChargeRequest:
    return GatewayChargeRequest(key, Money.of("310.00", "ZAR"), "pm_card_visa", "cus_1",
                                {"charge_id": "chg-S1-k1"})  # fmt: skip


def test_a_charge_is_a_confirmed_payment_intent_under_our_key_and_replays() -> None:
    with fake_stripe() as (fake, base):
        gw = StripeGateway(client("sk_test_123", base))
        first = gw.charge(_charge())
        again = gw.charge(_charge())
    assert first == again and first.status is ChargeStatus.succeeded
    assert len(fake.intents) == 1 and first.gateway_charge_id in fake.intents
    [(_, key, form), _] = fake.requests
    assert key == "refundable-acme-chg-1"
    assert (form["amount"], form["currency"], form["payment_method"], form["customer"],
            form["confirm"], form["off_session"], form["metadata[charge_id]"]) == (
        "31000", "zar", "pm_card_visa", "cus_1", "true", "true", "chg-S1-k1")  # fmt: skip


def test_a_declined_card_is_a_failed_charge_with_its_decline_code() -> None:
    with fake_stripe() as (fake, base):
        fake.decline = "insufficient_funds"
        gw = StripeGateway(client("sk_test_123", base))
        declined = gw.charge(_charge())
        replayed = gw.charge(_charge())
    assert (declined.status, declined.failure_reason) == (ChargeStatus.failed,
                                                          "insufficient_funds")  # fmt: skip
    assert replayed == declined and len(fake.intents) == 1
    assert declined.gateway_charge_id in fake.intents


def test_a_pending_charge_is_polled_by_its_intent_id() -> None:
    with fake_stripe() as (fake, base):
        fake.intent_status = "processing"
        gw = StripeGateway(client("sk_test_123", base))
        made = gw.charge(_charge())
        assert made.status is ChargeStatus.pending
        fake.intents[made.gateway_charge_id]["status"] = "succeeded"
        assert gw.charge_status(made.gateway_charge_id).status is ChargeStatus.succeeded
        fake.intents[made.gateway_charge_id]["status"] = "canceled"
        assert gw.charge_status(made.gateway_charge_id).status is ChargeStatus.failed


def test_a_server_error_on_a_charge_is_unavailable_not_a_decline() -> None:
    with fake_stripe() as (fake, base):
        fake.fail_with = 503
        with pytest.raises(GatewayUnavailable):
            StripeGateway(client("sk_test_123", base)).charge(_charge())
    assert len(fake.requests) == 1


def test_a_renewal_is_collected_through_stripe_by_the_worker_once() -> None:
    """The whole flow: a subscription's charge message, the worker, Stripe's PaymentIntent,
    the payment on the ledger under the intent's id; draining again changes nothing."""
    from lifecycle_support import CONEK_PLANS, START, define_plans, open_policy_tenant
    from outbox_kit import drain, senders
    from refundable.bootstrap import MEMORY_URL, bootstrap
    from refundable.core.time import FixedClock
    from refundable.service import commands as c

    app = bootstrap(MEMORY_URL, FixedClock(START))
    t = open_policy_tenant(app, "conek")
    define_plans(app, t, CONEK_PLANS)
    app.bus.handle(c.AttachPaymentMethod(t, "pm", "C1", "stripe", "pm_card_visa", START))
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    with fake_stripe() as (fake, base):
        wired = senders(StripeGateway(client("sk_test_123", base)))
        drain(app, wired, START)
        drain(app, wired, START)
    [pid] = fake.intents
    payments = [e.ref for e in app.queries.journal(t) if e.kind.value == "payment"]
    assert payments == [pid]
    rec = app.subscriptions.record(t, "S1")
    assert rec is not None and rec.subscription.billing.balance_due.amount == 0
