"""The outbox worker: sends what handlers wrote to the outbox, after their commit.

``drain_outbox`` claims due messages in bounded batches (a lease on each; see
``outbox_store``), sends each through the dispatcher of its kind, and records the attempt:
sent; retry with exponential backoff (``RetryPolicy``: first, doubling, capped); wait (a payout
the gateway has not settled yet: asked again after ``poll``); dead after ``max_failures``
consecutive failures or a failure no retry can fix (a person looks: ``refundable jobs
outbox``). It runs in ``refundable jobs run`` and, through :func:`serve_tick`, in the
server's loop. Exactly-once *effects* rest on the receivers' idempotency (ADR 0055, 0056).

``step`` is an observation point between the steps of a send (claimed, requested, gateway
answered, recorded...). Production passes nothing; the crash trials kill the worker there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from refundable.core import limits
from refundable.core.errors import (
    Conflict,
    IdempotencyConflict,
    InputError,
    LedgerRefused,
    NotFound,
    RefundableError,
)
from refundable.service import commands as c
from refundable.service.outbox_kinds import MessageKind, check_payload
from refundable.service.outbox_store import Attempt, Claimed, MessageState, OutboxStore, Outcome
from refundable.service.ports import FxRates, Mailer, PaymentGateway, WebhookSender

log = logging.getLogger(__name__)
DEFAULT_BATCH = 100
# Failures no retry can fix: the message or the business refuses it as it stands.
PERMANENT = (InputError, LedgerRefused, IdempotencyConflict)


class Bus(Protocol):
    def handle(self, command: c.Command) -> object: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=12)
    max_failures: int = 10  # about 17 hours of retries with the defaults
    lease: timedelta = timedelta(minutes=5)
    poll: timedelta = timedelta(hours=1)

    def backoff(self, failures: int) -> timedelta:
        return min(self.first * int(2 ** max(failures - 1, 0)), self.cap)


@dataclass(frozen=True, slots=True)
class Senders:
    """The outside world, as the worker sees it (adapters; fakes in tests)."""

    gateway: PaymentGateway
    mailer: Mailer
    webhooks: WebhookSender
    fx: FxRates


@dataclass(frozen=True, slots=True)
class Sent:
    """What a dispatcher reports (exceptions report failures)."""

    outcome: Outcome = Outcome.sent
    target: str | None = None
    status_code: int | None = None
    detail: str | None = None


def _no_step(_: str) -> None:
    return None


@dataclass(frozen=True)
class Env:
    bus: Bus
    store: OutboxStore
    senders: Senders
    now: datetime
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    step: Callable[[str], None] = _no_step


Dispatch = Callable[[Claimed, Env], Sent]
DISPATCH: dict[MessageKind, Dispatch] = {}  # filled by service.outbox_senders


@dataclass(frozen=True, slots=True)
class OutboxReport:
    sent: int = 0
    retried: int = 0
    waiting: int = 0
    dead: int = 0

    def __add__(self, o: OutboxReport) -> OutboxReport:
        return OutboxReport(self.sent + o.sent, self.retried + o.retried,
                            self.waiting + o.waiting, self.dead + o.dead)  # fmt: skip


_COUNT = {Outcome.sent: OutboxReport(sent=1), Outcome.retry: OutboxReport(retried=1),
          Outcome.wait: OutboxReport(waiting=1), Outcome.dead: OutboxReport(dead=1)}  # fmt: skip


def drain_outbox(
    env: Env, *, tenant_id: str | None = None, batch: int = DEFAULT_BATCH
) -> OutboxReport:
    """Send every message due at ``env.now``, ``batch`` at a time, until none is left that
    this worker can take (including what the sends wrote, e.g. a webhook's deliveries).
    Bounded: each message is claimed at most once per drain (a claimed message is leased, and
    its next try is always after ``now``)."""
    if not 1 <= batch <= limits.MAX_LIST_ITEMS:
        raise ValueError(f"batch must be 1..{limits.MAX_LIST_ITEMS}")
    from refundable.service import outbox_senders  # noqa: F401  (fills DISPATCH)

    total = OutboxReport()
    while True:
        claimed = env.store.claim(env.now, env.now + env.policy.lease, batch, tenant_id)
        env.step("claimed")
        if not claimed:
            return total
        for one in claimed:
            total += _COUNT[send_one(one, env)]


def send_one(claimed: Claimed, env: Env) -> Outcome:
    """Dispatch one claimed message and record the attempt; never raises for the message's
    own failure (that is recorded), so one bad message cannot stop the batch."""
    m = claimed.message
    try:
        sent = DISPATCH[check_payload(m.kind, m.payload)](claimed, env)
    except PERMANENT as err:
        sent = Sent(Outcome.dead, detail=f"[{err.code}] {err}")
    except RefundableError as err:
        sent = Sent(Outcome.retry, detail=f"[{err.code}] {err}")
    except Exception as err:  # the outside world failing in any way: retried, then dead
        sent = Sent(Outcome.retry, detail=f"{type(err).__name__}: {err}")
    if sent.target is None:  # a failure names what it was for too (the delivery log's key)
        sent = replace(sent, target=_target_of(m.payload))
    attempt = _attempt(claimed, sent, env)
    env.step("sending_done")
    env.store.record(attempt)
    env.step("recorded")
    if attempt.outcome in (Outcome.retry, Outcome.dead):
        log.warning("outbox %s %s: %s", m.kind, m.message_id, attempt.detail)
    return attempt.outcome


def _target_of(payload: Mapping[str, str]) -> str | None:
    return payload.get("endpoint_id") or payload.get("to") or payload.get("case_id")


def _attempt(claimed: Claimed, sent: Sent, env: Env) -> Attempt:
    m, p = claimed.message, env.policy
    outcome, failures, next_at = sent.outcome, 0, None
    if outcome is Outcome.retry:
        failures = claimed.failures + 1
        if failures >= p.max_failures:
            outcome = Outcome.dead
        else:
            next_at = env.now + p.backoff(failures)
    elif outcome is Outcome.wait:
        next_at = env.now + p.poll
    detail = None if sent.detail is None else sent.detail[: limits.MAX_TEXT_LENGTH]
    return Attempt(claimed.tenant_id, m.message_id, claimed.attempt, m.kind, env.now, outcome,
                   sent.target, sent.status_code, detail, next_at, failures)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Resent:
    message_id: str
    kind: str
    resent: bool  # False: it was already waiting to be sent (a repeated resend)


def resend_dead_letter(
    store: OutboxStore, tenant_id: str, message_id: str, actor: str, reason: str, at: datetime
) -> Resent:
    """A person sends a dead letter again, once its cause is fixed (an endpoint back up, a
    relay reconfigured, a gateway outage over). The message keeps its id and payload, so the
    receivers' keys stay the same: the gateway sees the payout's own idempotency key again
    (a refund it already made is replayed, never doubled) and a webhook endpoint the same
    ``webhook-id``. The log gets an audit entry (who, why, when) in the same transaction.
    Repeating it while the message waits is harmless; a message already sent is refused."""
    if not actor.strip() or not reason.strip():
        raise InputError("a resend needs who asks for it and why", where="actor, reason",
                         allowed="e.g. --by agent:ann --reason 'endpoint fixed'")  # fmt: skip
    book = store.book(tenant_id, message_id)
    if book is None:
        raise NotFound(f"no outbox message {message_id!r}", where="message_id",
                       allowed="a dead message's id (refundable outbox dead)")  # fmt: skip
    tried = store.attempts(tenant_id, message_id=message_id)
    kind = tried[-1].kind if tried else "?"  # a dead message was tried at least once
    detail = f"resent by {actor}: {reason}"[: limits.MAX_TEXT_LENGTH]
    audit = Attempt(tenant_id, message_id, 0, kind, at, Outcome.resent, actor, None, detail)
    found = store.resend(audit)
    if found is MessageState.pending:
        return Resent(message_id, kind, resent=False)
    if found is not MessageState.dead:
        raise Conflict(
            f"outbox message {message_id} is {found.value if found else 'gone'}, not dead",
            where="message_id",
            allowed="a dead message (refundable outbox dead lists them)",
        )
    log.info("outbox %s resent by %s: %s", message_id, actor, reason)
    return Resent(message_id, kind, resent=True)


def serve_tick(
    bus: Bus, store: OutboxStore, senders: Senders, now: datetime, policy: RetryPolicy | None = None
) -> OutboxReport:
    """One pass of the outbox for a server's loop (``serve`` calls this every few seconds)."""
    return drain_outbox(Env(bus, store, senders, now, policy or RetryPolicy()))
