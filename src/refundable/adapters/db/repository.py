"""The tenant-scoped ledger store on SQLAlchemy Core (SQLite and PostgreSQL).

Offers no way to change or remove a posted entry: the journal is only ever inserted into, and
the database triggers refuse UPDATE/DELETE even to code that goes around this class.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from refundable.adapters.db import fastpath, rows
from refundable.adapters.db import schema as t
from refundable.core.time import Clock
from refundable.ledger.accounts import AccountKey
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.entries import JournalEntry
from refundable.ledger.lots import CreditLot, LotStatus
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent
from refundable.service.ports import Claim, Hold


class SqlLedgerStore:
    def __init__(self, conn: Connection, tenant_id: str, clock: Clock) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self.clock = clock
        self.pg = conn.dialect.name == "postgresql"

    # helpers ---------------------------------------------------------------------------------
    def _insert_ignore(self, table: Table) -> Insert:
        if self.pg:
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    def _lock(self, stmt: Any) -> Any:
        return stmt.with_for_update() if self.pg else stmt

    def _now_us(self) -> int:
        return rows.to_us(self.clock.now())

    # idempotency -----------------------------------------------------------------------------
    def claim(self, key: str, command: str, payload_hash: str) -> Claim | None:
        """Insert the key or, if it exists, return what it holds. On PostgreSQL a concurrent
        claimer of the same key waits here until the first transaction ends."""
        stmt = self._insert_ignore(t.idempotency).returning(t.idempotency.c.key)
        res = self.conn.execute(
            stmt,
            {
                "tenant_id": self.tenant_id,
                "key": key,
                "command": command,
                "payload_hash": payload_hash,
                "result": None,
                "created_us": self._now_us(),
            },
        )
        if res.first() is not None:
            return None
        i = t.idempotency.c
        row = self.conn.execute(
            select(i.command, i.payload_hash, i.result).where(
                i.tenant_id == self.tenant_id, i.key == key
            )
        ).one()
        return Claim(row.command, row.payload_hash, row.result)

    def remember(self, key: str, result: str) -> None:
        i = t.idempotency.c
        self.conn.execute(
            update(t.idempotency)
            .where(i.tenant_id == self.tenant_id, i.key == key)
            .values(result=result)
        )

    # journal ---------------------------------------------------------------------------------
    def _ensure_accounts(self, keys: Iterable[AccountKey]) -> list[AccountKey]:
        ordered = sorted(set(keys), key=lambda k: k.code)
        if ordered:
            self.conn.execute(
                self._insert_ignore(t.accounts),
                [
                    {
                        "tenant_id": self.tenant_id,
                        "code": k.code,
                        "kind": k.kind.name,
                        "commodity": k.commodity,
                        "owner": k.owner,
                        "balance": 0,
                    }
                    for k in ordered
                ],
            )
        return ordered

    def lock_balances(self, accounts: Iterable[AccountKey]) -> dict[AccountKey, int]:
        ordered = self._ensure_accounts(accounts)
        by_code = {k.code: k for k in ordered}
        a = t.accounts.c
        stmt = (
            select(a.code, a.balance)
            .where(a.tenant_id == self.tenant_id, a.code.in_(list(by_code)))
            .order_by(a.code)
        )
        return {by_code[r.code]: int(r.balance) for r in self.conn.execute(self._lock(stmt))}

    def post(self, entries: Sequence[JournalEntry], idem_key: str | None) -> None:
        if not entries:
            return
        now = self._now_us()
        deltas: dict[AccountKey, int] = defaultdict(int)
        line_rows: list[dict[str, Any]] = []
        for e in entries:
            line_rows += rows.line_rows(e)
            for line in e.lines:
                deltas[line.account] += line.amount
        self.conn.execute(t.entries.insert(), [rows.entry_row(e, now, idem_key) for e in entries])
        self.conn.execute(t.lines.insert(), line_rows)
        self._ensure_accounts(deltas)
        a = t.accounts.c
        stmt = (
            update(t.accounts)
            .where(a.tenant_id == bindparam("t_id"), a.code == bindparam("c_code"))
            .values(balance=a.balance + bindparam("delta"))
        )
        self.conn.execute(
            stmt,
            [
                {"t_id": self.tenant_id, "c_code": k.code, "delta": d}
                for k, d in sorted(deltas.items(), key=lambda kv: kv[0].code)
            ],
        )

    def entry(self, entry_id: str) -> JournalEntry | None:
        e, ln = t.entries.c, t.lines.c
        row = (
            self.conn.execute(
                select(t.entries).where(e.tenant_id == self.tenant_id, e.entry_id == entry_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        lines = (
            self.conn.execute(
                select(t.lines).where(ln.tenant_id == self.tenant_id, ln.entry_id == entry_id)
            )
            .mappings()
            .all()
        )
        return rows.entry_from(row, list(lines))

    def is_reversed(self, entry_id: str) -> bool:
        e = t.entries.c
        return (
            self.conn.execute(
                select(e.entry_id).where(e.tenant_id == self.tenant_id, e.reverses == entry_id)
            ).first()
            is not None
        )

    # parties ---------------------------------------------------------------------------------
    def party(self, customer_id: str) -> Party | None:
        p = t.parties.c
        r = (
            self.conn.execute(
                select(t.parties).where(p.tenant_id == self.tenant_id, p.customer_id == customer_id)
            )
            .mappings()
            .first()
        )
        if r is None:
            return None
        return Party(
            self.tenant_id,
            r["customer_id"],
            r["reseller_id"],
            r["group_id"],
            bool(r["approved_nonprofit"]),
        )

    def add_party(self, party: Party) -> None:
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

    # lots ------------------------------------------------------------------------------------
    def lock_lots(self, customer_ids: Iterable[str], unit: str) -> dict[str, list[CreditLot]]:
        ids = sorted(set(customer_ids))
        out: dict[str, list[CreditLot]] = {c: [] for c in ids}
        lo = t.lots.c
        stmt = (
            select(t.lots)
            .where(
                lo.tenant_id == self.tenant_id,
                lo.customer_id.in_(ids),
                lo.unit == unit,
                lo.status == LotStatus.open.value,
            )
            .order_by(lo.lot_id)
        )
        for r in self.conn.execute(self._lock(stmt)).mappings():
            out[r["customer_id"]].append(rows.lot_from(r))
        return out

    def lots(self, lot_ids: Iterable[str]) -> dict[str, CreditLot]:
        lo = t.lots.c
        stmt = select(t.lots).where(lo.tenant_id == self.tenant_id, lo.lot_id.in_(list(lot_ids)))
        return {r["lot_id"]: rows.lot_from(r) for r in self.conn.execute(stmt).mappings()}

    def lock_expiring(self, as_of: datetime, unit: str) -> list[CreditLot]:
        lo = t.lots.c
        stmt = (
            select(t.lots)
            .where(
                lo.tenant_id == self.tenant_id,
                lo.unit == unit,
                lo.status == LotStatus.open.value,
                lo.remaining > 0,
                lo.valid_until_us <= rows.to_us(as_of),
            )
            .order_by(lo.lot_id)
        )
        return [rows.lot_from(r) for r in self.conn.execute(self._lock(stmt)).mappings()]

    def add_lots(self, lots: Sequence[CreditLot], entry_id: str) -> None:
        if lots:
            self.conn.execute(t.lots.insert(), [rows.lot_row(x, entry_id) for x in lots])

    def save_lots(self, lots: Sequence[CreditLot]) -> None:
        if not lots:
            return
        lo = t.lots.c
        stmt = (
            update(t.lots)
            .where(and_(lo.tenant_id == bindparam("t_id"), lo.lot_id == bindparam("l_id")))
            .values(
                remaining=bindparam("rem"),
                value_left_minor=bindparam("val"),
                status=bindparam("st"),
            )
        )
        self.conn.execute(
            stmt,
            [
                {
                    "t_id": self.tenant_id,
                    "l_id": x.lot_id,
                    "rem": x.remaining,
                    "val": x.value_left_minor,
                    "st": x.status.value,
                }
                for x in lots
            ],
        )

    # payments --------------------------------------------------------------------------------
    def lock_payment(self, payment_id: str) -> Payment | None:
        p = t.payments.c
        stmt = select(t.payments).where(p.tenant_id == self.tenant_id, p.payment_id == payment_id)
        r = self.conn.execute(self._lock(stmt)).mappings().first()
        return None if r is None else rows.payment_from(r)

    def add_payment(self, payment: Payment) -> None:
        self.conn.execute(t.payments.insert(), rows.payment_row(payment))

    def save_payment(self, payment: Payment) -> None:
        p = t.payments.c
        self.conn.execute(
            update(t.payments)
            .where(p.tenant_id == self.tenant_id, p.payment_id == payment.payment_id)
            .values(
                refunded_minor=payment.refunded_minor, charged_back_minor=payment.charged_back_minor
            )
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
        self.conn.execute(
            t.payment_returns.insert(),
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

    def has_return(self, kind: str, return_id: str) -> bool:
        r = t.payment_returns.c
        return (
            self.conn.execute(
                select(r.return_id).where(
                    r.tenant_id == self.tenant_id, r.kind == kind, r.return_id == return_id
                )
            ).first()
            is not None
        )

    # usage -----------------------------------------------------------------------------------
    def known_events(self, event_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        return fastpath.known_events(self.conn, self.tenant_id, event_ids)

    def add_usage(
        self,
        events: Sequence[UsageEvent],
        entry_of: Mapping[str, str],
        allocations: Sequence[Allocation],
    ) -> None:
        fastpath.insert_usage(self.conn, self.tenant_id, events, entry_of, allocations)

    def usage_event(self, event_id: str) -> UsageEvent | None:
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

    def failure_of(self, event_id: str) -> tuple[str, bool] | None:
        f = t.usage_failures.c
        r = self.conn.execute(
            select(f.cause, f.reinstated).where(
                f.tenant_id == self.tenant_id, f.event_id == event_id
            )
        ).first()
        return None if r is None else (r.cause, bool(r.reinstated))

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

    # holds -----------------------------------------------------------------------------------
    def add_hold(self, hold: Hold) -> None:
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
