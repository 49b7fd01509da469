"""Stripe, on the official SDK (``stripe`` 16), behind the ``PaymentGateway`` port.

Every refund passes *our* idempotency key (``options={"idempotency_key": ...}``): after a
crash the worker sends the same key and Stripe answers with the refund it already made. The
client is built by the caller, so tests point ``base_addresses`` at a local fake server and
no request leaves the machine. Stripe's statuses map onto ours: ``requires_action`` is still
pending, ``canceled`` is a failure; network errors and 5xx answers are
``GatewayUnavailable`` (outcome unknown: send the same key again).

Charges (ADR 0066) are PaymentIntents created and confirmed at once, off-session, on the
customer's saved payment method, again under our idempotency key. A card decline is Stripe's
402 ``card_error`` (a replay under the same key returns the same error): it is our ``failed``
with the decline code. ``processing`` and ``requires_action`` are still pending.
"""

from __future__ import annotations

from typing import Any

import stripe

from refundable.service.ports import (
    ChargeStatus,
    GatewayCharge,
    GatewayChargeRequest,
    GatewayRefund,
    GatewayRefundRequest,
    GatewayUnavailable,
    RefundStatus,
)

_STATUS = {
    "pending": RefundStatus.pending,
    "requires_action": RefundStatus.pending,
    "succeeded": RefundStatus.succeeded,
    "failed": RefundStatus.failed,
    "canceled": RefundStatus.failed,
}


_CHARGE_STATUS = {
    "succeeded": ChargeStatus.succeeded,
    "processing": ChargeStatus.pending,
    "requires_action": ChargeStatus.pending,
    "requires_confirmation": ChargeStatus.pending,
    "requires_capture": ChargeStatus.pending,
    "requires_payment_method": ChargeStatus.failed,
    "canceled": ChargeStatus.failed,
}


def client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """A client with the SDK's own retries off: the outbox worker owns retrying."""
    addresses: Any = {"api": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=0)


class StripeGateway:
    name = "stripe"

    def __init__(self, stripe_client: stripe.StripeClient) -> None:
        self.client = stripe_client

    def refund(self, request: GatewayRefundRequest) -> GatewayRefund:
        params: Any = {
            (
                "charge" if request.payment_ref.startswith("ch_") else "payment_intent"
            ): request.payment_ref,
            "amount": request.amount.to_minor(),
            "metadata": {**request.metadata, "method": request.method.value},
        }
        options: Any = {"idempotency_key": request.idempotency_key}
        return _answer(lambda: self.client.v1.refunds.create(params=params, options=options))

    def refund_status(self, gateway_refund_id: str) -> GatewayRefund:
        return _answer(lambda: self.client.v1.refunds.retrieve(gateway_refund_id))

    def charge(self, request: GatewayChargeRequest) -> GatewayCharge:
        params: Any = {
            "amount": request.amount.to_minor(),
            "currency": request.amount.currency.lower(),
            "payment_method": request.payment_method_ref,
            "confirm": True,
            "off_session": True,
            "metadata": dict(request.metadata),
        }
        if request.customer_ref:
            params["customer"] = request.customer_ref
        options: Any = {"idempotency_key": request.idempotency_key}
        try:
            intent = _unavailable(
                lambda: self.client.v1.payment_intents.create(params=params, options=options)
            )
        except stripe.CardError as err:  # declined: the intent exists, the money did not move
            return _declined(err)
        return _intent(intent)

    def charge_status(self, gateway_charge_id: str) -> GatewayCharge:
        return _intent(_unavailable(lambda: self.client.v1.payment_intents.retrieve(
            gateway_charge_id)))  # fmt: skip


def _intent(intent: Any) -> GatewayCharge:
    status = _CHARGE_STATUS.get(str(intent.status), ChargeStatus.pending)
    reason = None
    if status is ChargeStatus.failed:
        error = getattr(intent, "last_payment_error", None)
        reason = str(getattr(error, "decline_code", None) or getattr(error, "code", None)
                     or intent.status)  # fmt: skip
    return GatewayCharge(str(intent.id), status, reason)


def _declined(err: stripe.CardError) -> GatewayCharge:
    json_body: Any = err.json_body or {}
    body: Any = json_body.get("error", {})
    intent = body.get("payment_intent") or {}
    reason = body.get("decline_code") or body.get("code") or "card_declined"
    return GatewayCharge(str(intent.get("id") or "unknown"), ChargeStatus.failed, str(reason))


def _unavailable(call: Any) -> Any:
    """``call()``, with the failures whose outcome is unknown turned into GatewayUnavailable."""
    try:
        return call()
    except (stripe.APIConnectionError, stripe.RateLimitError) as err:
        raise GatewayUnavailable(f"stripe: {err.user_message or err}") from err
    except stripe.APIError as err:
        if (err.http_status or 500) >= 500:
            raise GatewayUnavailable(f"stripe: {err.user_message or err}") from err
        raise


def _answer(call: Any) -> GatewayRefund:
    refund = _unavailable(call)
    status = _STATUS.get(str(refund.status), RefundStatus.pending)
    reason = getattr(refund, "failure_reason", None) if status is RefundStatus.failed else None
    return GatewayRefund(str(refund.id), status, None if reason is None else str(reason))
