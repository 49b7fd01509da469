"""The Stripe gateway on the official SDK against a local fake of Stripe's refunds API (no
network): our idempotency key travels as Stripe's ``Idempotency-Key`` header and a replay
returns the first refund; statuses map onto ours; a 5xx is "unavailable", to be retried."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from outbox_kit import caseless_payouts
from refundable.adapters.payments.stripe_gateway import StripeGateway, client
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service.ports import GatewayRefundRequest, GatewayUnavailable, RefundStatus


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
            if key not in fake.by_key:
                rid = f"re_{uuid.uuid4().hex[:14]}"
                fake.by_key[key] = rid
                fake.refunds[rid] = {"id": rid, "object": "refund", "status": fake.status,
                                     "amount": int(form["amount"][0]), "currency": "zar",
                                     "payment_intent": form.get("payment_intent", [None])[0],
                                     "failure_reason": "expired_or_canceled_card"
                                     if fake.status == "failed" else None}  # fmt: skip
            self._send(200, fake.refunds[fake.by_key[key]])

        def do_GET(self) -> None:
            rid = self.path.rsplit("/", 1)[-1]
            fake.requests.append(("GET", rid, {}))
            self._send(200, fake.refunds[rid])

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


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
