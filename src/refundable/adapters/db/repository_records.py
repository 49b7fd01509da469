"""Business records beside the journal: customers and their links, payments and their
returns, usage events with their allocations and failures, account holds and their releases.
One small repository per aggregate, all on the unit of work's connection and transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select

from refundable.adapters.db import fastpath, rows
from refundable.adapters.db import schema as t
from refundable.adapters.db import statements as s
from refundable.adapters.db.repository_base import SqlBase
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.holds import Hold
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent


class SqlCustomers(SqlBase):
    def get(self, customer_id: str) -> Party | None:
        found = self.db.rows(s.PARTY, {"tenant": self.tenant_id, "customer": customer_id})
        if not found:
            return None
        r = dict(zip(s.PARTY_COLUMNS, found[0], strict=True))
        return Party(
            self.tenant_id,
            r["customer_id"],
            r["reseller_id"],
            r["group_id"],
            bool(r["approved_nonprofit"]),
        )

    def add(self, party: Party) -> None:
        self.conn.execute(
            t.parties.insert(),
            {
                "tenant_id": self.tenant_id,
                "customer_id": party.customer_id,
                "reseller_id": party.reseller_id,
                "group_id": party.group_id,
                "approved_nonprofit": party.approved_nonprofit,
            },
        )


class SqlPayments(SqlBase):
    def lock(self, payment_id: str) -> Payment | None:
        found = self.db.rows(s.LOCK_PAYMENT, {"tenant": self.tenant_id, "payment": payment_id})
        return (
            None
            if not found
            else rows.payment_from(dict(zip(s.PAYMENT_COLUMNS, found[0], strict=True)))
        )

    def add(self, payment: Payment) -> None:
        self.db.write(s.ADD_PAYMENT, rows.payment_row(payment))

    def save(self, payment: Payment) -> None:
        self.db.write(
            s.SAVE_PAYMENT,
            {
                "tenant": self.tenant_id,
                "payment": payment.payment_id,
                "refunded": payment.refunded_minor,
                "charged_back": payment.charged_back_minor,
            },
        )

    def add_return(
        self,
        kind: str,
        return_id: str,
        payment: Payment,
        amount_minor: int,
        entry_id: str,
        at: datetime,
        reason: str,
    ) -> None:
        self.db.write(
            s.ADD_RETURN,
            {
                "tenant_id": self.tenant_id,
                "kind": kind,
                "return_id": return_id,
                "payment_id": payment.payment_id,
                "amount_minor": amount_minor,
                "currency": payment.currency,
                "entry_id": entry_id,
                "at_us": rows.to_us(at),
                "reason": reason,
            },
        )


class SqlUsage(SqlBase):
    def known(self, event_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        self.db.flush()  # the fast path talks to the driver: send deferred writes first
        return fastpath.known_events(self.conn, self.tenant_id, event_ids)

    def add(
        self,
        events: Sequence[UsageEvent],
        entry_of: Mapping[str, str],
        allocations: Sequence[Allocation],
    ) -> None:
        self.db.flush()
        fastpath.insert_usage(self.conn, self.tenant_id, events, entry_of, allocations)

    def get(self, event_id: str) -> UsageEvent | None:
        u = t.usage_events.c
        r = (
            self.conn.execute(
                select(t.usage_events).where(u.tenant_id == self.tenant_id, u.event_id == event_id)
            )
            .mappings()
            .first()
        )
        if r is None:
            return None
        return UsageEvent(
            r["event_id"], r["customer_id"], int(r["units"]), rows.from_us(r["occurred_us"])
        )

    def allocations_of(self, event_id: str) -> list[Allocation]:
        a = t.usage_allocations.c
        return [
            Allocation(r.event_id, r.lot_id, int(r.units), int(r.value_minor))
            for r in self.conn.execute(
                select(t.usage_allocations).where(
                    a.tenant_id == self.tenant_id, a.event_id == event_id
                )
            )
        ]

    def add_failure(
        self, event_id: str, cause: str, reinstated: bool, entry_id: str | None, at: datetime
    ) -> None:
        self.conn.execute(
            t.usage_failures.insert(),
            {
                "tenant_id": self.tenant_id,
                "event_id": event_id,
                "cause": cause,
                "reinstated": reinstated,
                "entry_id": entry_id,
                "failed_us": rows.to_us(at),
            },
        )


class SqlHolds(SqlBase):
    def add(self, hold: Hold) -> None:
        self.conn.execute(
            t.holds.insert(),
            {
                "tenant_id": self.tenant_id,
                "hold_id": hold.hold_id,
                "customer_id": hold.customer_id,
                "reason": hold.reason,
                "payment_id": hold.payment_id,
                "dispute_id": hold.dispute_id,
                "placed_us": rows.to_us(hold.placed_at),
            },
        )

    def lock(self, hold_id: str) -> Hold | None:
        """The hold with its release, if any. On PostgreSQL the hold's row is locked first, so
        concurrent releasers of one hold queue here and each then reads the release committed
        before it (the release is read by a second statement, after the lock is granted)."""
        h, r = t.holds.c, t.hold_releases.c
        stmt = select(t.holds).where(h.tenant_id == self.tenant_id, h.hold_id == hold_id)
        x = self.conn.execute(self._lock(stmt)).mappings().first()
        if x is None:
            return None
        rel = self.conn.execute(
            select(r.resolution, r.released_us).where(
                r.tenant_id == self.tenant_id, r.hold_id == hold_id
            )
        ).first()
        if rel is None:
            return rows.hold_from(x, None, None)
        return rows.hold_from(x, rel.released_us, rel.resolution)

    def release(self, hold_id: str, resolution: str, reason: str, at: datetime) -> None:
        """Record the release as a new row; a second release of the hold breaks the primary
        key (a concurrent one surfaces as a transient conflict and the command is re-run)."""
        self.conn.execute(
            t.hold_releases.insert(),
            {
                "tenant_id": self.tenant_id,
                "hold_id": hold_id,
                "resolution": resolution,
                "reason": reason,
                "released_us": rows.to_us(at),
            },
        )
