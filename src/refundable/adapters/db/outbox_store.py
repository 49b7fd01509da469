"""The outbox worker's store on SQL (see ``service.outbox_store``).

A claim is one short write transaction: pick due pending messages whose lease is free (with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so parallel workers never wait on each other's
rows; SQLite's ``BEGIN IMMEDIATE`` lets one writer in at a time), lease them and count the
attempt. Recording an outcome appends to ``outbox_attempts`` and moves the message on, but
only while it is still pending: a worker whose lease ran out cannot undo another's success.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_, select, update

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import begin_write
from refundable.adapters.db.repository_payouts import endpoint_of, payout_of
from refundable.outbound.payouts import Payout
from refundable.outbound.webhooks import WebhookEndpoint
from refundable.service.outbox_store import (
    Attempt,
    Book,
    Claimed,
    MessageState,
    Outcome,
)
from refundable.service.ports import OutboxMessage

_O = t.outbox.c
_A = t.outbox_attempts.c
_P = t.payouts.c


def _message(r: Any) -> OutboxMessage:
    return OutboxMessage(r.message_id, r.kind, json.loads(r.payload), rows.from_us(r.created_us))


def _moves(a: Attempt) -> dict[str, Any]:
    at_us, next_us = rows.to_us(a.at), rows.maybe_us(a.next_at)
    if a.outcome is Outcome.sent:
        return {"state": MessageState.sent.value, "sent_us": at_us, "failures": 0}
    if a.outcome is Outcome.dead:
        return {"state": MessageState.dead.value, "last_error": a.detail, "failures": a.failures}
    return {"next_us": next_us, "failures": a.failures, "last_error": a.detail}


class SqlOutboxStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, tenant_id: str | None = None
    ) -> list[Claimed]:
        now_us = rows.to_us(now)
        stmt = select(t.outbox).where(
            _O.state == MessageState.pending.value,
            or_(_O.next_us.is_(None), _O.next_us <= now_us),
            or_(_O.lease_us.is_(None), _O.lease_us <= now_us),
        )
        if tenant_id is not None:
            stmt = stmt.where(_O.tenant_id == tenant_id)
        stmt = stmt.order_by(_O.created_us, _O.message_id).limit(limit)
        if self.pg:
            stmt = stmt.with_for_update(skip_locked=True)
        conn, tx = begin_write(self.engine)
        try:
            found = list(conn.execute(stmt))
            for r in found:
                conn.execute(
                    update(t.outbox)
                    .where(_O.tenant_id == r.tenant_id, _O.message_id == r.message_id)
                    .values(lease_us=rows.to_us(lease_until), attempts=r.attempts + 1)
                )
            tx.commit()
        finally:
            conn.close()
        return [Claimed(r.tenant_id, _message(r), r.attempts + 1, r.failures) for r in found]

    def record(self, attempt: Attempt) -> None:
        a = attempt
        conn, tx = begin_write(self.engine)
        try:
            conn.execute(
                t.outbox_attempts.insert(),
                {
                    "tenant_id": a.tenant_id, "message_id": a.message_id, "attempt": a.attempt,
                    "kind": a.kind, "target": a.target, "at_us": rows.to_us(a.at),
                    "outcome": a.outcome.value, "status_code": a.status_code,
                    "detail": a.detail,
                },
            )  # fmt: skip
            conn.execute(
                update(t.outbox)
                .where(
                    _O.tenant_id == a.tenant_id,
                    _O.message_id == a.message_id,
                    _O.state == MessageState.pending.value,
                )
                .values(lease_us=None, **_moves(a))
            )
            tx.commit()
        finally:
            conn.close()

    def resend(self, audit: Attempt) -> MessageState | None:
        a = audit
        key = (_O.tenant_id == a.tenant_id, _O.message_id == a.message_id)
        stmt = select(_O.state, _O.attempts).where(*key)
        conn, tx = begin_write(self.engine)
        try:
            found = conn.execute(stmt.with_for_update() if self.pg else stmt).first()
            if found is None or found.state != MessageState.dead.value:
                return None if found is None else MessageState(found.state)
            number = found.attempts + 1
            conn.execute(
                t.outbox_attempts.insert(),
                {"tenant_id": a.tenant_id, "message_id": a.message_id, "attempt": number,
                 "kind": a.kind, "target": a.target, "at_us": rows.to_us(a.at),
                 "outcome": Outcome.resent.value, "status_code": None, "detail": a.detail},
            )  # fmt: skip
            conn.execute(
                update(t.outbox).where(*key, _O.state == MessageState.dead.value)
                .values(state=MessageState.pending.value, attempts=number, failures=0,
                        next_us=rows.to_us(a.at), lease_us=None, last_error=None)
            )  # fmt: skip
            tx.commit()
            return MessageState.dead
        finally:
            conn.close()

    def _rows(self, stmt: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(stmt))

    def book(self, tenant_id: str, message_id: str) -> Book | None:
        found = self._rows(
            select(t.outbox).where(_O.tenant_id == tenant_id, _O.message_id == message_id)
        )
        if not found:
            return None
        r = found[0]
        return Book(MessageState(r.state), r.attempts, r.failures, rows.maybe_at(r.next_us),
                    r.last_error)  # fmt: skip

    def attempts(
        self, tenant_id: str, kind: str | None = None, message_id: str | None = None
    ) -> list[Attempt]:
        stmt = select(t.outbox_attempts).where(_A.tenant_id == tenant_id)
        if kind is not None:
            stmt = stmt.where(_A.kind == kind)
        if message_id is not None:
            stmt = stmt.where(_A.message_id == message_id)
        stmt = stmt.order_by(_A.at_us, _A.message_id, _A.attempt)
        return [
            Attempt(
                r.tenant_id,
                r.message_id,
                r.attempt,
                r.kind,
                rows.from_us(r.at_us),
                Outcome(r.outcome),
                r.target,
                r.status_code,
                r.detail,
            )
            for r in self._rows(stmt)
        ]

    def messages(self, tenant_id: str, state: MessageState | None = None) -> list[OutboxMessage]:
        stmt = select(t.outbox).where(_O.tenant_id == tenant_id)
        if state is not None:
            stmt = stmt.where(_O.state == state.value)
        return [_message(r) for r in self._rows(stmt.order_by(_O.created_us, _O.message_id))]

    def payout_of_case(self, tenant_id: str, case_id: str) -> Payout | None:
        found = self._rows(select(t.payouts).where(_P.tenant_id == tenant_id,
                                                   _P.case_id == case_id))  # fmt: skip
        return payout_of(found[0]) if found else None

    def payout_by_gateway_id(self, gateway_refund_id: str) -> Payout | None:
        found = self._rows(select(t.payouts).where(_P.gateway_refund_id == gateway_refund_id))
        return payout_of(found[0]) if found else None

    def payouts(self, tenant_id: str) -> list[Payout]:
        stmt = select(t.payouts).where(_P.tenant_id == tenant_id).order_by(_P.payout_id)
        return [payout_of(r) for r in self._rows(stmt)]

    def payment_currency(self, tenant_id: str, payment_id: str) -> str | None:
        p = t.payments.c
        found = self._rows(select(p.currency).where(p.tenant_id == tenant_id,
                                                    p.payment_id == payment_id))  # fmt: skip
        return str(found[0].currency) if found else None

    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        w = t.webhook_endpoints.c
        stmt = select(t.webhook_endpoints).where(
            w.tenant_id == tenant_id, w.endpoint_id == endpoint_id
        )
        found = self._rows(stmt)
        return endpoint_of(found[0]) if found else None
