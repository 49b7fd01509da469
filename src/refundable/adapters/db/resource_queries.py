"""The API's resource reads (SQL): keyset pages by id, one read-only transaction each."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, and_, select, union

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import READONLY
from refundable.adapters.db.repository import SqlJournal
from refundable.adapters.db.repository_records import SqlCustomers, SqlUsage
from refundable.adapters.db.repository_scheduling import _NO_CLOCK
from refundable.adapters.db.repository_tenants import SqlDecisions
from refundable.ledger.accounts import Kind
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.entries import EntryKind
from refundable.ledger.lots import CreditLot
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent
from refundable.service.resources import Charge, Page, charge_of, page_of


class SqlResourceQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(**{READONLY: True})

    def _rows(
        self,
        table: Table,
        key: Column[Any],
        tenant: str,
        limit: int,
        after: str | None,
        customer: str | None = None,
    ) -> list[Any]:
        stmt = select(table).where(table.c.tenant_id == tenant)
        if after is not None:
            stmt = stmt.where(key > after)
        if customer is not None:
            stmt = stmt.where(table.c.customer_id == customer)
        with self.engine.begin() as conn:
            return list(conn.execute(stmt.order_by(key).limit(limit + 1)).mappings())

    def customers(self, tenant: str, limit: int, after: str | None) -> Page[Party]:
        """The customers the tenant knows (ADR 0083): registered, or named by an account of
        theirs or a subscription. Each source gives its first ``limit + 1`` ids past the
        cursor from its own (tenant, customer) index; the page is the first of their union."""
        branches = [
            select(col.label("customer_id")).where(*where, *([col > after] if after else []))
            .distinct().order_by(col).limit(limit + 1).subquery()
            for col, where in _known_sources(tenant)
        ]  # fmt: skip
        ids = union(*(select(b.c.customer_id) for b in branches)).subquery()
        stmt = select(ids.c.customer_id).order_by(ids.c.customer_id).limit(limit + 1)
        with self.engine.begin() as conn:
            found = list(conn.execute(stmt).scalars())
            registered = _registered(conn, tenant, found)
        return page_of([registered.get(i) or Party(tenant, i) for i in found], limit)

    def customer(self, tenant: str, customer_id: str) -> Party | None:
        """The registered customer, else one a record names (with no links), else None."""
        with self.engine.begin() as conn:
            found = SqlCustomers(conn, tenant, _NO_CLOCK).get(customer_id)
            if found is not None:
                return found
            for col, where in _known_sources(tenant)[1:]:
                if conn.execute(select(col).where(*where, col == customer_id).limit(1)).first():
                    return Party(tenant, customer_id)
        return None

    def known_customers(self, tenant: str, customer_ids: Collection[str]) -> set[str]:
        wanted = sorted(set(customer_ids))
        known: set[str] = set()
        with self.engine.begin() as conn:
            for at in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[at : at + _IN_CHUNK]
                for col, where in _known_sources(tenant):
                    stmt = select(col).where(*where, col.in_(chunk)).distinct()
                    known.update(conn.execute(stmt).scalars())
        return known

    def payments(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[Payment]:
        found = self._rows(t.payments, t.payments.c.payment_id, tenant, limit, after, customer)
        return page_of([rows.payment_from(r) for r in found], limit)

    def payment(self, tenant: str, payment_id: str) -> Payment | None:
        p = t.payments.c
        stmt = select(t.payments).where(p.tenant_id == tenant, p.payment_id == payment_id)
        with self.engine.begin() as conn:
            r = conn.execute(stmt).mappings().first()
        return None if r is None else rows.payment_from(r)

    def charges(self, tenant: str, limit: int, after: str | None) -> Page[Charge]:
        """Charge entries by charge id (the entry's ref; index ``ix_entries_ref``)."""
        e = t.entries.c
        stmt = select(e.entry_id).where(e.tenant_id == tenant, e.kind == EntryKind.charge.value)
        if after is not None:
            stmt = stmt.where(e.ref > after)
        stmt = stmt.order_by(e.ref, e.entry_id).limit(limit + 1)
        with self.engine.begin() as conn:
            journal = SqlJournal(conn, tenant, _NO_CLOCK)
            found = [journal.get(i) for i in conn.execute(stmt).scalars()]
        return page_of([charge_of(x) for x in found if x is not None], limit)

    def charge(self, tenant: str, charge_id: str) -> Charge | None:
        e = t.entries.c
        stmt = select(e.entry_id).where(
            e.tenant_id == tenant, e.ref == charge_id, e.kind == EntryKind.charge.value
        )
        with self.engine.begin() as conn:
            entry_id = conn.execute(stmt.order_by(e.entry_id).limit(1)).scalar()
            found = None if entry_id is None else SqlJournal(conn, tenant, _NO_CLOCK).get(entry_id)
        return None if found is None else charge_of(found)

    def charges_of(self, tenant: str, customer: str, limit: int) -> Page[Charge]:
        """The charge entries posted to the customer's receivable accounts, newest first: a
        range of ``ix_lines_account_effective`` per account (a customer has one per
        currency), then the entries themselves."""
        e, ln, a = t.entries.c, t.lines.c, t.accounts.c
        accounts = select(a.code).where(
            a.tenant_id == tenant, a.owner == customer, a.kind == Kind.receivable.name
        )
        stmt = (
            select(e.entry_id)
            .join(t.lines, and_(ln.tenant_id == e.tenant_id, ln.entry_id == e.entry_id))
            .where(
                e.tenant_id == tenant,
                e.kind == EntryKind.charge.value,
                e.ref.is_not(None),
                ln.account.in_(accounts),
            )
            .order_by(e.effective_us.desc(), e.entry_id.desc())
            .limit(limit + 1)
        )
        with self.engine.begin() as conn:
            journal = SqlJournal(conn, tenant, _NO_CLOCK)
            found = [journal.get(i) for i in conn.execute(stmt).scalars()]
        return page_of([charge_of(x) for x in found if x is not None], limit)

    def decisions(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[DecisionRecord]:
        c = t.decisions.c
        found = self._rows(t.decisions, c.decision_id, tenant, limit, after, customer)
        with self.engine.begin() as conn:
            repo = SqlDecisions(conn, tenant, _NO_CLOCK)
            records = [repo.get(r["decision_id"]) for r in found]
        return page_of([r for r in records if r is not None], limit)

    def decision(self, tenant: str, decision_id: str) -> DecisionRecord | None:
        with self.engine.begin() as conn:
            return SqlDecisions(conn, tenant, _NO_CLOCK).get(decision_id)

    def lots(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[CreditLot]:
        found = self._rows(t.lots, t.lots.c.lot_id, tenant, limit, after, customer)
        return page_of([rows.lot_from(r) for r in found], limit)

    def lot(self, tenant: str, lot_id: str) -> CreditLot | None:
        lo = t.lots.c
        stmt = select(t.lots).where(lo.tenant_id == tenant, lo.lot_id == lot_id)
        with self.engine.begin() as conn:
            r = conn.execute(stmt).mappings().first()
        return None if r is None else rows.lot_from(r)

    def usage_event(self, tenant: str, event_id: str) -> UsageEvent | None:
        with self.engine.begin() as conn:
            return SqlUsage(conn, tenant, _NO_CLOCK).get(event_id)


_IN_CHUNK = 500
_OWN_KINDS = [k.name for k in Kind if k.spec.per_customer]


def _known_sources(tenant: str) -> list[tuple[Column[Any], list[Any]]]:
    """Where a customer id of the tenant's is recorded (ADR 0083): the registry, the owner of
    a customer's own account (any charge, payment, top-up, transfer, credit or lot opens
    one), a subscription. Each is read through its (tenant, customer) index."""
    p, a, s = t.parties.c, t.accounts.c, t.subscriptions.c
    return [
        (p.customer_id, [p.tenant_id == tenant]),
        (a.owner, [a.tenant_id == tenant, a.owner.is_not(None), a.kind.in_(_OWN_KINDS)]),
        (s.customer_id, [s.tenant_id == tenant]),
    ]


def _registered(conn: Connection, tenant: str, ids: list[str]) -> dict[str, Party]:
    if not ids:
        return {}
    p = t.parties.c
    stmt = select(t.parties).where(p.tenant_id == tenant, p.customer_id.in_(ids))
    return {r["customer_id"]: _party(r) for r in conn.execute(stmt).mappings()}


def _party(r: Any) -> Party:
    return Party(
        r["tenant_id"],
        r["customer_id"],
        r["reseller_id"],
        r["group_id"],
        bool(r["approved_nonprofit"]),
    )
