"""The outbox's message kinds and their payloads: the contract between the handlers that
write side effects (cases, lifecycle, scheduled notices) and the worker that sends them.

A handler adds an :class:`~refundable.service.ports.OutboxMessage` in its own transaction;
the worker (``service.outbox``) sends it after commit, at least once, and the receivers make
"at least once" harmless: the gateway by our idempotency key, a webhook receiver by the
stable ``webhook-id``, a mail reader by... patience (ADR 0055). Payload values are strings
(the column is JSON text and amounts must never pass through a float). Use the builders
below rather than writing the dictionaries by hand, so a payload can never miss a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from refundable.core.errors import InputError
from refundable.core.jsontext import sorted_text
from refundable.core.money import Money
from refundable.service.ports import OutboxMessage


class MessageKind(StrEnum):
    payout = "payout"  # pay an approved refund back through the payment gateway
    email = "email"  # one email over SMTP
    webhook = "webhook"  # one business event, fanned out to the tenant's endpoints
    webhook_delivery = "webhook_delivery"  # one event to one endpoint (the worker writes it)
    charge = "charge"  # collect what a customer owes through the gateway (ADR 0066)


class PayoutKey(StrEnum):
    case_id = "case_id"
    customer_id = "customer_id"
    payment_id = "payment_id"
    amount = "amount"  # decimal text in ``currency``, e.g. "120.50"
    currency = "currency"
    decision_id = "decision_id"


class ChargeKey(StrEnum):
    charge_id = "charge_id"  # ours; the gateway's idempotency key derives from it
    purpose = "purpose"  # subscription or overage (commands.ChargePurpose)
    subscription_id = "subscription_id"
    customer_id = "customer_id"
    amount = "amount"  # decimal text in ``currency``
    currency = "currency"
    gateway = "gateway"  # the gateway holding the payment method
    payment_method_ref = "payment_method_ref"
    method = "method"
    at = "at"  # the business instant of the charge (ISO), used for what it records


class EmailKey(StrEnum):
    to = "to"
    subject = "subject"
    text = "text"
    html = "html"  # optional


class WebhookKey(StrEnum):
    event_type = "event_type"  # e.g. "case.decided"
    event_id = "event_id"  # stable per business event (the delivery ids derive from it)
    data = "data"  # the event's body, as JSON text


class DeliveryKey(StrEnum):
    endpoint_id = "endpoint_id"
    event_type = "event_type"
    event_id = "event_id"
    data = "data"


REQUIRED: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.payout: tuple(PayoutKey),
    MessageKind.email: (EmailKey.to, EmailKey.subject, EmailKey.text),
    MessageKind.webhook: tuple(WebhookKey),
    MessageKind.webhook_delivery: tuple(DeliveryKey),
    MessageKind.charge: tuple(ChargeKey),
}


def check_payload(kind: str, payload: Mapping[str, str]) -> MessageKind:
    """The kind, once its payload has every key it needs (a programmer's slip otherwise)."""
    try:
        known = MessageKind(kind)
    except ValueError:
        raise InputError(
            f"unknown outbox message kind {kind!r}",
            where="outbox.kind",
            allowed=", ".join(k.value for k in MessageKind),
        ) from None
    missing = [k for k in REQUIRED[known] if not payload.get(k)]
    if missing:
        raise InputError(
            f"{kind} message lacks {', '.join(missing)}",
            where=f"outbox.{kind}",
            allowed=f"a payload with {', '.join(REQUIRED[known])}",
        )
    return known


def payout_message(
    message_id: str, *, case_id: str, customer_id: str, payment_id: str, amount: Money,
    decision_id: str, at: datetime,
) -> OutboxMessage:  # fmt: skip
    """Pay ``amount`` of an approved decision back to the payment's instrument."""
    payload: dict[str, str] = {
        PayoutKey.case_id: case_id,
        PayoutKey.customer_id: customer_id,
        PayoutKey.payment_id: payment_id,
        PayoutKey.amount: str(amount.amount),
        PayoutKey.currency: amount.currency,
        PayoutKey.decision_id: decision_id,
    }
    return _message(message_id, MessageKind.payout, payload, at)


def charge_message(
    message_id: str, *, charge_id: str, purpose: str, subscription_id: str, customer_id: str,
    amount: Money, gateway: str, payment_method_ref: str, method: str, at: datetime,
) -> OutboxMessage:  # fmt: skip
    """Collect ``amount`` from the customer's payment method on file."""
    payload: dict[str, str] = {
        ChargeKey.charge_id: charge_id,
        ChargeKey.purpose: purpose,
        ChargeKey.subscription_id: subscription_id,
        ChargeKey.customer_id: customer_id,
        ChargeKey.amount: str(amount.amount),
        ChargeKey.currency: amount.currency,
        ChargeKey.gateway: gateway,
        ChargeKey.payment_method_ref: payment_method_ref,
        ChargeKey.method: method,
        ChargeKey.at: at.isoformat(),
    }
    return _message(message_id, MessageKind.charge, payload, at)


def email_message(
    message_id: str, *, to: str, subject: str, text: str, at: datetime, html: str | None = None
) -> OutboxMessage:
    payload: dict[str, str] = {EmailKey.to: to, EmailKey.subject: subject, EmailKey.text: text}
    if html is not None:
        payload[EmailKey.html] = html
    return _message(message_id, MessageKind.email, payload, at)


def webhook_message(
    message_id: str, *, event_type: str, event_id: str, data: Mapping[str, Any], at: datetime
) -> OutboxMessage:
    """One business event for the tenant's webhook endpoints (``data`` becomes JSON text)."""
    payload: dict[str, str] = {
        WebhookKey.event_type: event_type,
        WebhookKey.event_id: event_id,
        WebhookKey.data: sorted_text(data),
    }
    return _message(message_id, MessageKind.webhook, payload, at)


def _message(
    message_id: str, kind: MessageKind, payload: Mapping[str, str], at: datetime
) -> OutboxMessage:
    plain = {str(k): v for k, v in payload.items()}
    check_payload(kind, plain)
    return OutboxMessage(message_id, kind.value, plain, at)
