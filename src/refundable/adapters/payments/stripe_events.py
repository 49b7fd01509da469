"""Stripe's webhook events, verified with the official SDK and read as :class:`GatewayEvent`.

``stripe_event`` checks the ``Stripe-Signature`` header with ``stripe.Webhook.construct_event``
(HMAC-SHA256 of "timestamp.payload" with the endpoint's signing secret, and a timestamp no
older than the tolerance), then maps the event types Refundable acts on:

* ``refund.created`` / ``refund.updated`` / ``refund.failed`` / ``charge.refund.updated``: the
  refund's status (``succeeded``, ``failed``/``canceled``, else pending); our payout id and
  tenant travel in the refund's metadata (the Stripe gateway sets them);
* ``charge.dispute.created``: a chargeback of the payment recorded under the dispute's
  ``metadata.payment_id``, else its ``payment_intent``, else its ``charge`` (the Stripe
  gateway refunds by that same id);
* ``charge.dispute.closed`` with status ``won`` or ``lost``.

Anything else is acknowledged and ignored (``None``). A bad signature or body is an
``InputError`` naming the header; nothing is written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import stripe

from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.service.common import Receipt
from refundable.service.gateway_events import Bus, GatewayEvent, GatewayEventKind
from refundable.service.gateway_events import handle_gateway_event as _handle

TOLERANCE_S = 300
_REFUND_TYPES = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
_REFUND_KIND = {"succeeded": GatewayEventKind.refund_succeeded,
                "failed": GatewayEventKind.refund_failed,
                "canceled": GatewayEventKind.refund_failed}  # fmt: skip
_CLOSED = {"won": GatewayEventKind.dispute_won, "lost": GatewayEventKind.dispute_lost}


def verify(
    payload: bytes, signature: str, secret: str, tolerance_s: int = TOLERANCE_S
) -> dict[str, Any]:
    """The event as plain JSON, once its signature verifies (``construct_event`` checks the
    very bytes that are then read)."""
    if not secret:
        raise InputError("no Stripe webhook signing secret is configured",
                         where="REFUNDABLE_STRIPE_WEBHOOK_SECRET", allowed="whsec_...")  # fmt: skip
    try:
        stripe.Webhook.construct_event(payload.decode("utf-8"), signature, secret, tolerance_s)
        found: dict[str, Any] = json.loads(payload)
        return found
    except stripe.SignatureVerificationError as err:
        raise InputError(f"the Stripe signature does not verify: {err.user_message or err}",
                         where="Stripe-Signature",
                         allowed="an event signed with this endpoint's secret, "
                                 f"within {tolerance_s} s") from None  # fmt: skip
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"the body is not a Stripe event: {err}", where="body",
                         allowed="the JSON Stripe posted, unchanged") from None  # fmt: skip


def stripe_event(
    payload: bytes, signature: str, secret: str, tenant_id: str, tolerance_s: int = TOLERANCE_S
) -> GatewayEvent | None:
    event = verify(payload, signature, secret, tolerance_s)
    kind, obj = str(event["type"]), event["data"]["object"]
    at = datetime.fromtimestamp(int(event["created"]), UTC)
    meta = dict(obj.get("metadata") or {})
    if kind in _REFUND_TYPES:
        if meta.get("tenant_id") not in (None, tenant_id):
            raise InputError(f"refund {obj['id']} belongs to another tenant",
                             where="data.object.metadata.tenant_id", allowed=tenant_id)  # fmt: skip
        status = _REFUND_KIND.get(str(obj.get("status")), GatewayEventKind.refund_pending)
        reason = obj.get("failure_reason")
        return GatewayEvent("stripe", str(event["id"]), status, str(obj["id"]), at,
                            payout_id=meta.get("payout_id"),
                            failure_reason=None if reason is None else str(reason))  # fmt: skip
    if kind == "charge.dispute.created":
        paid = meta.get("payment_id") or obj.get("payment_intent") or obj.get("charge")
        amount = Money.from_minor(int(obj["amount"]), str(obj["currency"]).upper())
        return GatewayEvent("stripe", str(event["id"]), GatewayEventKind.dispute_opened,
                            str(obj["id"]), at, payment_id=paid and str(paid),
                            amount=amount)  # fmt: skip
    if kind == "charge.dispute.closed" and str(obj.get("status")) in _CLOSED:
        return GatewayEvent("stripe", str(event["id"]), _CLOSED[str(obj["status"])],
                            str(obj["id"]), at)  # fmt: skip
    return None


def receive_stripe_event(
    bus: Bus, secret: str | None, tenant_id: str, payload: bytes, signature: str
) -> Receipt | None:
    """What an HTTP route calls with Stripe's raw body and ``Stripe-Signature`` header:
    verify, read, apply once. ``None``: an event type Refundable does not act on (answer 200
    so Stripe stops sending it)."""
    event = stripe_event(payload, signature, secret or "", tenant_id)
    return None if event is None else _handle(bus, tenant_id, event)
