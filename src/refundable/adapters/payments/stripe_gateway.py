"""Stripe, on the official SDK (``stripe`` 16), behind the ``PaymentGateway`` port.

Every refund passes *our* idempotency key (``options={"idempotency_key": ...}``): after a
crash the worker sends the same key and Stripe answers with the refund it already made. The
client is built by the caller, so tests point ``base_addresses`` at a local fake server and
no request leaves the machine. Stripe's statuses map onto ours: ``requires_action`` is still
pending, ``canceled`` is a failure; network errors and 5xx answers are
``GatewayUnavailable`` (outcome unknown: send the same key again).
"""

from __future__ import annotations

from typing import Any

import stripe

from refundable.service.ports import (
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


def _answer(call: Any) -> GatewayRefund:
    try:
        refund = call()
    except (stripe.APIConnectionError, stripe.RateLimitError) as err:
        raise GatewayUnavailable(f"stripe: {err.user_message or err}") from err
    except stripe.APIError as err:
        if (err.http_status or 500) >= 500:
            raise GatewayUnavailable(f"stripe: {err.user_message or err}") from err
        raise
    status = _STATUS.get(str(refund.status), RefundStatus.pending)
    reason = getattr(refund, "failure_reason", None) if status is RefundStatus.failed else None
    return GatewayRefund(str(refund.id), status, None if reason is None else str(reason))
