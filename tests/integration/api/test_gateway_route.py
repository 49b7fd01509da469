"""Stripe's callbacks over HTTP, on both stores: the route hands the raw body and the
``Stripe-Signature`` header to the adapter, so a signed dispute event is applied once (a
redelivery says "replayed"), an event type we do not act on is acknowledged, and a forged
signature, or a server with no signing secret, is a 422 problem (our status for bad input)
that writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from casefakes import charge_and_pay, policy_tenant, zar
from refundable.bootstrap import App
from refundable.config import Settings
from refundable.entrypoints.api.app import create_app
from stripe_kit import SECRET, event, signed


def _client(app: App, secret: str | None) -> Iterator[TestClient]:
    api = create_app(app, Settings(stripe_webhook_secret=secret))
    with TestClient(api, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def stripe_client(app: App) -> Iterator[TestClient]:
    yield from _client(app, SECRET)


def _dispute(app: App) -> tuple[str, str, dict[str, object]]:
    tenant = policy_tenant(app, "conek")
    _, paid = charge_and_pay(app, tenant, "C1", zar("100.00"), datetime(2026, 5, 4, 8, tzinfo=UTC))
    dispute = {"id": "dp_1", "object": "dispute", "amount": 10000, "currency": "zar",
               "payment_intent": paid, "charge": "ch_x", "status": "needs_response",
               "metadata": {}}  # fmt: skip
    return tenant, paid, event("evt_d1", "charge.dispute.created", dispute)


def test_a_signed_event_is_applied_once(app: App, stripe_client: TestClient) -> None:
    tenant, paid, dispute = _dispute(app)
    body, sig = signed(dispute)
    first = stripe_client.post(
        f"/v1/gateway/stripe/{tenant}/events", content=body, headers={"Stripe-Signature": sig}
    )
    assert (first.status_code, first.json()) == (200, {"outcome": "applied"})
    assert str(app.queries.remaining_refundable(tenant, paid)) == "ZAR 0.00"  # held (Conek 9.2)
    again = stripe_client.post(
        f"/v1/gateway/stripe/{tenant}/events", content=body, headers={"Stripe-Signature": sig}
    )
    assert (again.status_code, again.json()) == (200, {"outcome": "replayed"})
    body, sig = signed(event("evt_x", "customer.created", {"id": "cus_1", "metadata": {}}))
    other = stripe_client.post(
        f"/v1/gateway/stripe/{tenant}/events", content=body, headers={"Stripe-Signature": sig}
    )
    assert (other.status_code, other.json()) == (200, {"outcome": "ignored"})


def test_a_forged_signature_is_refused_and_writes_nothing(
    app: App, stripe_client: TestClient
) -> None:
    tenant, paid, dispute = _dispute(app)
    body, sig = signed(dispute, secret="whsec_someone_else")
    refused = stripe_client.post(
        f"/v1/gateway/stripe/{tenant}/events", content=body, headers={"Stripe-Signature": sig}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["where"] == "Stripe-Signature"
    assert str(app.queries.remaining_refundable(tenant, paid)) == "ZAR 100.00"


def test_without_a_signing_secret_every_event_is_refused(app: App) -> None:
    tenant, paid, dispute = _dispute(app)
    body, sig = signed(dispute)
    for client in _client(app, None):
        refused = client.post(
            f"/v1/gateway/stripe/{tenant}/events", content=body, headers={"Stripe-Signature": sig}
        )
        assert refused.status_code == 422
        assert refused.json()["where"] == "REFUNDABLE_STRIPE_WEBHOOK_SECRET"
    assert str(app.queries.remaining_refundable(tenant, paid)) == "ZAR 100.00"
