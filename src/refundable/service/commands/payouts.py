"""Payout and webhook commands: what the outbox worker and agents ask of the service.

``RequestPayout`` records the payout of one case (its business keys make a second payout of
the same case, or a payout of a decision already refunded by hand, an ``IdempotencyConflict``).
``RecordGatewayRefund`` applies what the gateway says about it, from its answer, a status poll
or a callback, in any order and any number of times: the payout's state decides, so a
duplicate or late callback changes nothing and money moves once. ADR 0056.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.core.errors import InputError
from refundable.core.limits import MAX_STORED_ID_LENGTH, MAX_TEXT_LENGTH
from refundable.core.methods import Method
from refundable.core.money import FxRate, Money
from refundable.outbound.webhooks import check_event_types, check_secret, check_url
from refundable.service.commands.base import Command
from refundable.service.ports import RefundStatus


@dataclass(frozen=True, slots=True)
class RequestPayout(Command):
    BUSINESS_KEYS = (("payout", "payout_id"), ("payout_of", "case_id"),
                     ("refund_of", "decision_id"))  # fmt: skip

    tenant_id: str
    idempotency_key: str
    payout_id: str
    message_id: str  # the outbox message that carries it
    case_id: str
    customer_id: str
    payment_id: str
    decision_id: str
    amount: Money
    gateway: str
    at: datetime
    fx: FxRate | None = None  # the decision's currency to the payment's, when they differ


@dataclass(frozen=True, slots=True)
class RecordGatewayRefund(Command):
    tenant_id: str
    idempotency_key: str
    payout_id: str
    gateway_refund_id: str
    status: RefundStatus
    at: datetime
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        reason = self.failure_reason
        if reason is not None and len(reason) > MAX_TEXT_LENGTH:
            raise InputError("failure reason too long", where="failure_reason",
                             allowed=f"at most {MAX_TEXT_LENGTH} characters")  # fmt: skip


@dataclass(frozen=True, slots=True)
class RedirectPayout(Command):
    """The customer accepted the alternative arrangement for a payout whose instrument is no
    longer valid (MyProtektor 8.1): pay it by ``method`` to ``destination`` instead."""

    tenant_id: str
    idempotency_key: str
    payout_id: str
    method: Method
    destination: str
    at: datetime

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if not 1 <= len(self.destination) <= MAX_STORED_ID_LENGTH or self.method.internal:
            raise InputError(
                "an alternative payout needs an external method and a destination account",
                where="destination",
                allowed=f"eft/card/... with 1-{MAX_STORED_ID_LENGTH} characters of account",
            )


@dataclass(frozen=True, slots=True)
class RegisterWebhookEndpoint(Command):
    BUSINESS_KEYS = (("webhook_endpoint", "endpoint_id"),)

    tenant_id: str
    idempotency_key: str
    endpoint_id: str
    url: str
    secret: str
    event_types: tuple[str, ...]
    at: datetime

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        check_url(self.url)
        check_secret(self.secret)
        check_event_types(self.event_types)


@dataclass(frozen=True, slots=True)
class FanOutWebhook(Command):
    """Turn one business event into one delivery per endpoint that wants it. No key of its
    own: the deliveries' ids derive from the event message and the endpoint (insert-or-ignore),
    so running it twice writes nothing new."""

    tenant_id: str
    message_id: str
    event_type: str
    event_id: str
    data: str
    at: datetime
