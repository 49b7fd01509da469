"""Payouts and webhook endpoints (SQL), and the rows they map to.

``lock`` takes the payout's row with ``FOR UPDATE`` on PostgreSQL (SQLite's writer lock
serialises otherwise), so two gateway callbacks for one payout apply one after the other and
the second sees the first's state. ``save`` updates the current state and appends the move to
``payout_events`` (append-only), numbered under that lock.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.repository_base import SqlBase
from refundable.core.methods import Method
from refundable.core.money import FxRate, Money
from refundable.outbound.payouts import Payout, PayoutState
from refundable.outbound.webhooks import WebhookEndpoint

_P = t.payouts.c
_W = t.webhook_endpoints.c


_us, _at = rows.maybe_us, rows.maybe_at


def payout_row(p: Payout) -> dict[str, Any]:
    return {
        "tenant_id": p.tenant_id, "payout_id": p.payout_id, "case_id": p.case_id,
        "message_id": p.message_id, "customer_id": p.customer_id, "payment_id": p.payment_id,
        "decision_id": p.decision_id, "requested_currency": p.requested.currency,
        "requested_minor": p.requested.to_minor(), "currency": p.amount.currency,
        "amount_minor": p.amount.to_minor(),
        "fx_rate": None if p.fx is None else str(p.fx.rate),
        "fx_source": None if p.fx is None else p.fx.source,
        "fx_as_of_us": None if p.fx is None else _us(p.fx.as_of),
        "method": p.method.value, "gateway": p.gateway, "state": p.state.value,
        "requested_us": rows.to_us(p.requested_at),
        "expected_from_us": rows.to_us(p.expected_from),
        "expected_by_us": rows.to_us(p.expected_by),
        "gateway_refund_id": p.gateway_refund_id, "failure_reason": p.failure_reason,
        "destination": p.destination, "sent_us": _us(p.sent_at),
        "settled_us": _us(p.settled_at), "entry_id": p.entry_id,
    }  # fmt: skip


def payout_of(r: Any) -> Payout:
    fx = None
    if r.fx_rate is not None:
        fx = FxRate(r.requested_currency, r.currency, Decimal(r.fx_rate), _at(r.fx_as_of_us),
                    r.fx_source or "")  # fmt: skip
    return Payout(
        r.tenant_id, r.payout_id, r.case_id, r.message_id, r.customer_id, r.payment_id,
        r.decision_id, Money.from_minor(r.requested_minor, r.requested_currency),
        Money.from_minor(r.amount_minor, r.currency), Method(r.method), r.gateway,
        PayoutState(r.state), rows.from_us(r.requested_us), rows.from_us(r.expected_from_us),
        rows.from_us(r.expected_by_us), fx, r.gateway_refund_id, r.failure_reason,
        r.destination, _at(r.sent_us), _at(r.settled_us), r.entry_id,
    )  # fmt: skip


_MUTABLE = (
    "state", "message_id", "method", "destination", "gateway_refund_id", "failure_reason",
    "requested_us", "expected_from_us", "expected_by_us", "sent_us", "settled_us", "entry_id",
)  # fmt: skip


class SqlPayouts(SqlBase):
    def add(self, payout: Payout) -> None:
        self.conn.execute(t.payouts.insert(), payout_row(payout))
        self._event(payout, payout.requested_at)

    def _select(self) -> Any:
        return select(t.payouts).where(_P.tenant_id == self.tenant_id)

    def lock(self, payout_id: str) -> Payout | None:
        r = self.conn.execute(self._lock(self._select().where(_P.payout_id == payout_id))).first()
        return None if r is None else payout_of(r)

    def of_case(self, case_id: str) -> Payout | None:
        r = self.conn.execute(self._lock(self._select().where(_P.case_id == case_id))).first()
        return None if r is None else payout_of(r)

    def save(self, payout: Payout, at: Any) -> None:
        row = payout_row(payout)
        self.conn.execute(
            update(t.payouts)
            .where(_P.tenant_id == self.tenant_id, _P.payout_id == payout.payout_id)
            .values({k: row[k] for k in _MUTABLE})
        )
        self._event(payout, at)

    def _event(self, payout: Payout, at: Any) -> None:
        e = t.payout_events.c
        seq = self.conn.execute(
            select(func.count()).where(
                e.tenant_id == self.tenant_id, e.payout_id == payout.payout_id
            )
        ).scalar_one()
        self.conn.execute(
            t.payout_events.insert(),
            {
                "tenant_id": self.tenant_id, "payout_id": payout.payout_id, "seq": seq + 1,
                "state": payout.state.value, "at_us": rows.to_us(at),
                "gateway_refund_id": payout.gateway_refund_id,
                "detail": payout.failure_reason,
            },
        )  # fmt: skip


def endpoint_of(r: Any) -> WebhookEndpoint:
    return WebhookEndpoint(r.tenant_id, r.endpoint_id, r.url, r.secret,
                           tuple(r.event_types.split(",")), rows.from_us(r.created_us))  # fmt: skip


class SqlWebhookEndpoints(SqlBase):
    def add(self, endpoint: WebhookEndpoint) -> None:
        self.conn.execute(
            t.webhook_endpoints.insert(),
            {
                "tenant_id": endpoint.tenant_id, "endpoint_id": endpoint.endpoint_id,
                "url": endpoint.url, "secret": endpoint.secret,
                "event_types": ",".join(endpoint.event_types),
                "created_us": rows.to_us(endpoint.created_at),
            },
        )  # fmt: skip

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        stmt = select(t.webhook_endpoints).where(
            _W.tenant_id == self.tenant_id, _W.endpoint_id == endpoint_id
        )
        r = self.conn.execute(stmt).first()
        return None if r is None else endpoint_of(r)

    def all(self) -> list[WebhookEndpoint]:
        stmt = (
            select(t.webhook_endpoints)
            .where(_W.tenant_id == self.tenant_id)
            .order_by(_W.endpoint_id)
        )
        return [endpoint_of(r) for r in self.conn.execute(stmt)]
