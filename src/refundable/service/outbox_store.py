"""What the outbox worker needs from storage, outside any command's transaction.

The worker claims a batch of due messages (one short transaction that takes a lease on each:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so parallel workers divide the rows, SQLite's single
writer otherwise), sends each, and records the outcome (another short transaction that
appends the attempt to the append-only ``outbox_attempts`` log and moves the message on).
A worker that dies holding a lease loses it when the lease runs out; the next claim takes the
message again, and the receiver's idempotency makes the repeat harmless. ADR 0056.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from refundable.outbound.payouts import Payout
from refundable.outbound.webhooks import WebhookEndpoint
from refundable.service.ports import OutboxMessage


class MessageState(StrEnum):
    pending = "pending"
    sent = "sent"  # done: delivered, or resolved (a payout settled or failed for good)
    dead = "dead"  # gave up after the retry cap, or refused for good: a person looks


class Outcome(StrEnum):
    sent = "sent"
    retry = "retry"  # failed this time; back off and try again
    wait = "wait"  # accepted, result pending (a payout not settled yet): ask again later
    dead = "dead"
    resent = "resent"  # a person sent a dead letter again (the log's audit entry: who, why)


@dataclass(frozen=True, slots=True)
class Claimed:
    tenant_id: str
    message: OutboxMessage
    attempt: int  # this claim's number (1 for the first)
    failures: int  # consecutive failures before this claim (the backoff's exponent)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One entry of the delivery log, and what it does to the message."""

    tenant_id: str
    message_id: str
    attempt: int
    kind: str
    at: datetime
    outcome: Outcome
    target: str | None = None  # the email address, endpoint id or gateway
    status_code: int | None = None  # the HTTP status a webhook endpoint answered
    detail: str | None = None
    next_at: datetime | None = None  # retry / wait: when to try again
    failures: int = 0  # consecutive failures after this attempt


@dataclass(frozen=True, slots=True)
class Book:
    """The worker's bookkeeping of one message."""

    state: MessageState
    attempts: int
    failures: int
    next_at: datetime | None
    last_error: str | None


class OutboxStore(Protocol):
    def claim(
        self, now: datetime, lease_until: datetime, limit: int, tenant_id: str | None = None
    ) -> list[Claimed]: ...
    def record(self, attempt: Attempt) -> None: ...
    def resend(self, audit: Attempt) -> MessageState | None:
        """Put a dead message back in the queue, due at ``audit.at``, and append ``audit``
        (numbered after the message's attempts) to the log, in one transaction; only a dead
        message moves. The state found (None: no such message)."""
        ...

    def book(self, tenant_id: str, message_id: str) -> Book | None: ...
    def attempts(
        self, tenant_id: str, kind: str | None = None, message_id: str | None = None
    ) -> list[Attempt]: ...
    def messages(
        self, tenant_id: str, state: MessageState | None = None
    ) -> list[OutboxMessage]: ...
    # reads the senders need (committed state)
    def payout_of_case(self, tenant_id: str, case_id: str) -> Payout | None: ...
    def payout_by_gateway_id(self, gateway_refund_id: str) -> Payout | None: ...
    def payouts(self, tenant_id: str) -> list[Payout]: ...
    def payment_currency(self, tenant_id: str, payment_id: str) -> str | None: ...
    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...
