"""The payment gateway's callbacks (webhooks). Stripe authenticates them by signature, not by
API key: the raw body and the ``Stripe-Signature`` header go unchanged to the adapter, which
verifies them with the SDK and applies the event once per event id (ADR 0067)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from refundable.adapters.payments.stripe_events import receive_stripe_event
from refundable.entrypoints.api.models import problems
from refundable.entrypoints.api.state import api_state

router = APIRouter(tags=["gateway"])


class GatewayAck(BaseModel):
    """What the gateway is told: the event was applied now, applied before (a redelivery), or
    is of a type Refundable does not act on. Any of the three stops the gateway's retries."""

    outcome: Literal["applied", "replayed", "ignored"]


@router.post(
    "/v1/gateway/stripe/{tenant_id}/events",
    response_model=GatewayAck,
    responses=problems(404, 409, 413, 422, 500, 503),
)
async def stripe_events(tenant_id: str, request: Request) -> GatewayAck:
    """Receive one Stripe event for this tenant: verified with the endpoint's signing secret
    (``REFUNDABLE_STRIPE_WEBHOOK_SECRET``), then applied once; a bad signature writes nothing."""
    state = api_state(request)
    body = await request.body()
    signature = request.headers.get("stripe-signature", "")
    secret = state.settings.stripe_webhook_secret
    done = await run_in_threadpool(
        receive_stripe_event, state.app.bus, secret, tenant_id, body, signature
    )
    if done is None:
        return GatewayAck(outcome="ignored")
    return GatewayAck(outcome="replayed" if done.replayed else "applied")
