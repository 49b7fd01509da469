"""Payouts, webhook endpoints and the outbox worker's store, in memory (the service tests'
store). The worker's claims and records take the store's lock, like a short transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.outbound.payouts import Payout
from refundable.outbound.webhooks import WebhookEndpoint
from refundable.service.outbox_store import Attempt, Book, Claimed, MessageState, Outcome
from refundable.service.ports import OutboxMessage

from .repositories import _insert, _Repo
from .tables import MemBook, MemoryStore


class MemPayouts(_Repo):
    def add(self, payout: Payout) -> None:
        _insert(self.t.payouts, self.k(payout.payout_id), payout, "payout")
        self._event(payout, payout.requested_at)

    def lock(self, payout_id: str) -> Payout | None:
        return self.t.payouts.get(self.k(payout_id))

    def of_case(self, case_id: str) -> Payout | None:
        return next((p for (t, _), p in self.t.payouts.items()
                     if t == self.tenant_id and p.case_id == case_id), None)  # fmt: skip

    def save(self, payout: Payout, at: datetime) -> None:
        self.t.payouts[self.k(payout.payout_id)] = payout
        self._event(payout, at)

    def _event(self, payout: Payout, at: datetime) -> None:
        seq = 1 + sum(1 for (t, p, _) in self.t.payout_events
                      if t == self.tenant_id and p == payout.payout_id)  # fmt: skip
        self.t.payout_events[(self.tenant_id, payout.payout_id, seq)] = (payout.state.value, at)


class MemWebhookEndpoints(_Repo):
    def add(self, endpoint: WebhookEndpoint) -> None:
        _insert(self.t.webhooks, self.k(endpoint.endpoint_id), endpoint, "webhook endpoint")

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.t.webhooks.get(self.k(endpoint_id))

    def all(self) -> list[WebhookEndpoint]:
        mine = [e for (t, _), e in self.t.webhooks.items() if t == self.tenant_id]
        return sorted(mine, key=lambda e: e.endpoint_id)


def _due(book: MemBook, now: datetime) -> bool:
    return (book.state is MessageState.pending
            and (book.next_at is None or book.next_at <= now)
            and (book.lease_until is None or book.lease_until <= now))  # fmt: skip


def _moved(book: MemBook, a: Attempt) -> MemBook:
    if a.outcome is Outcome.sent:
        return replace(book, state=MessageState.sent, failures=0, lease_until=None)
    if a.outcome is Outcome.dead:
        return replace(book, state=MessageState.dead, failures=a.failures, lease_until=None,
                       last_error=a.detail)  # fmt: skip
    return replace(book, next_at=a.next_at, failures=a.failures, lease_until=None,
                   last_error=a.detail)  # fmt: skip


class MemOutboxStore:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def _book(self, key: tuple[str, str]) -> MemBook:
        return self.store.tables.outbox_books.get(key) or MemBook()

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, tenant_id: str | None = None
    ) -> list[Claimed]:
        with self.store.lock:
            t = self.store.tables
            due = sorted(
                (m.created_at, key, m) for key, m in t.outbox.items()
                if (tenant_id is None or key[0] == tenant_id) and _due(self._book(key), now)
            )[:limit]  # fmt: skip
            claimed = []
            for _, key, m in due:
                book = self._book(key)
                t.outbox_books[key] = replace(book, attempts=book.attempts + 1,
                                              lease_until=lease_until)  # fmt: skip
                claimed.append(Claimed(key[0], m, book.attempts + 1, book.failures))
            return claimed

    def record(self, attempt: Attempt) -> None:
        key = (attempt.tenant_id, attempt.message_id)
        with self.store.lock:
            t = self.store.tables
            t.outbox_attempts[(*key, attempt.attempt)] = attempt
            book = self._book(key)
            if book.state is MessageState.pending:
                t.outbox_books[key] = _moved(book, attempt)

    def resend(self, audit: Attempt) -> MessageState | None:
        key = (audit.tenant_id, audit.message_id)
        with self.store.lock:
            t = self.store.tables
            if key not in t.outbox:
                return None
            book = self._book(key)
            if book.state is not MessageState.dead:
                return book.state
            number = book.attempts + 1
            t.outbox_attempts[(*key, number)] = replace(audit, attempt=number,
                                                        outcome=Outcome.resent)  # fmt: skip
            t.outbox_books[key] = replace(book, state=MessageState.pending, attempts=number,
                                          failures=0, next_at=audit.at, lease_until=None,
                                          last_error=None)  # fmt: skip
            return MessageState.dead

    def book(self, tenant_id: str, message_id: str) -> Book | None:
        key = (tenant_id, message_id)
        if key not in self.store.tables.outbox:
            return None
        b = self._book(key)
        return Book(b.state, b.attempts, b.failures, b.next_at, b.last_error)

    def attempts(
        self, tenant_id: str, kind: str | None = None, message_id: str | None = None
    ) -> list[Attempt]:
        found = [a for a in self.store.tables.outbox_attempts.values()
                 if a.tenant_id == tenant_id and kind in (None, a.kind)
                 and message_id in (None, a.message_id)]  # fmt: skip
        return sorted(found, key=lambda a: (a.at, a.message_id, a.attempt))

    def messages(self, tenant_id: str, state: MessageState | None = None) -> list[OutboxMessage]:
        t = self.store.tables
        found = [m for key, m in t.outbox.items() if key[0] == tenant_id
                 and state in (None, self._book(key).state)]  # fmt: skip
        return sorted(found, key=lambda m: (m.created_at, m.message_id))

    def payout_of_case(self, tenant_id: str, case_id: str) -> Payout | None:
        return next((p for p in self.payouts(tenant_id) if p.case_id == case_id), None)

    def payout_by_gateway_id(self, gateway_refund_id: str) -> Payout | None:
        return next((p for p in self.store.tables.payouts.values()
                     if p.gateway_refund_id == gateway_refund_id), None)  # fmt: skip

    def payouts(self, tenant_id: str) -> list[Payout]:
        mine = [p for (t, _), p in self.store.tables.payouts.items() if t == tenant_id]
        return sorted(mine, key=lambda p: p.payout_id)

    def payment_currency(self, tenant_id: str, payment_id: str) -> str | None:
        found = self.store.tables.payments.get((tenant_id, payment_id))
        return None if found is None else found.currency

    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        return self.store.tables.webhooks.get((tenant_id, endpoint_id))
