"""The tenant-scoped ledger store on SQLAlchemy Core (SQLite and PostgreSQL).

Offers no way to change or remove a posted entry: the journal is only ever inserted into, and
the database triggers refuse UPDATE/DELETE even to code that goes around this class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db import statements as s
from refundable.adapters.db.known_accounts import accounts_ensured, accounts_known
from refundable.adapters.db.prepared import values_of
from refundable.adapters.db.repository_base import SqlBase
from refundable.ledger.accounts import AccountKey
from refundable.ledger.entries import JournalEntry
from refundable.ledger.lots import CreditLot, LotStatus
from refundable.service.ports import Claim


class SqlReceipts(SqlBase):
    """Idempotency and business keys, each with the receipt of the command that used it."""

    def claim(self, keys: Sequence[str], command: str, payload_hash: str) -> dict[str, Claim]:
        """Insert every key in one statement; for those already there, return what they hold
        (a second statement, only then). On PostgreSQL a concurrent claimer of the same key
        waits here until the first transaction ends."""
        now = self._now_us()
        claims = [
            {"tenant_id": self.tenant_id, "key": k, "command": command,
             "payload_hash": payload_hash, "result": None, "created_us": now}
            for k in keys
        ]  # fmt: skip
        params = values_of(claims, "r")
        fresh = {r[0] for r in self.db.rows(s.CLAIM(len(keys)), params)}
        taken = [k for k in keys if k not in fresh]
        if not taken:
            return {}
        i = t.idempotency.c
        found = self.conn.execute(
            select(i.key, i.command, i.payload_hash, i.result).where(
                i.tenant_id == self.tenant_id, i.key.in_(taken)
            )
        )
        return {r.key: Claim(r.command, r.payload_hash, r.result) for r in found}

    def remember(self, keys: Sequence[str], result: str) -> None:
        """One statement stores the receipt under every key the command claimed."""
        params: dict[str, Any] = {f"k{n}": k for n, k in enumerate(keys)}
        params.update(tenant=self.tenant_id, receipt=result)
        self.db.write(s.REMEMBER(len(keys)), params)


class SqlJournal(SqlBase):
    """Entries, their lines and the account balance projection, insert-only."""

    def _ensure_accounts(self, keys: Iterable[AccountKey]) -> None:
        """Create missing account rows (balance 0). An account known to exist (committed
        earlier on this connection, or ensured in this transaction) costs no statement."""
        known = accounts_known(self.conn, self.tenant_id)
        fresh = sorted({k for k in keys if k.code not in known}, key=lambda k: k.code)
        if not fresh:
            return
        self.db.many(
            s.ENSURE_ACCOUNT,
            [
                {"tenant_id": self.tenant_id, "code": k.code, "kind": k.kind.name,
                 "commodity": k.commodity, "owner": k.owner, "balance": 0}
                for k in fresh
            ],
        )  # fmt: skip
        accounts_ensured(self.conn, self.tenant_id, [k.code for k in fresh])

    def _select_balances(self, codes: list[str]) -> dict[str, int]:
        if len(codes) > s.MAX_PREBUILT_KEYS:  # many accounts at once (a sweep): Core's IN list
            a = t.accounts.c
            stmt = (
                select(a.code, a.balance)
                .where(a.tenant_id == self.tenant_id, a.code.in_(codes))
                .order_by(a.code)
            )
            return {r.code: int(r.balance) for r in self.conn.execute(self._lock(stmt))}
        params: dict[str, Any] = {f"c{n}": code for n, code in enumerate(codes)}
        params["tenant"] = self.tenant_id
        return {r[0]: int(r[1]) for r in self.db.rows(s.BALANCES(len(codes)), params)}

    def lock_balances(self, accounts: Iterable[AccountKey]) -> dict[AccountKey, int]:
        """Lock the accounts' rows (creating missing ones) and return their signed balances.
        Existing rows are locked first in one statement: the common case costs one query."""
        wanted = {k.code: k for k in accounts}
        if not wanted:
            return {}
        found = self._select_balances(sorted(wanted))
        missing = [wanted[code] for code in sorted(wanted) if code not in found]
        if missing:
            self._ensure_accounts(missing)
            found.update(self._select_balances([k.code for k in missing]))
        accounts_ensured(self.conn, self.tenant_id, list(wanted))
        return {wanted[code]: balance for code, balance in found.items()}

    def post(self, entries: Sequence[JournalEntry], idem_key: str | None) -> None:
        """Insert the entries and their lines. The balances move in the database: a trigger on
        ``lines`` adds each line to its account (migration 0007, docs/decisions/0041-...), so
        the accounts must exist before the lines go in."""
        if not entries:
            return
        now = self._now_us()
        line_rows: list[dict[str, Any]] = []
        for e in entries:
            line_rows += rows.line_rows(e)
        self._ensure_accounts({line.account for e in entries for line in e.lines})
        self.db.many(s.ENTRY, [rows.entry_row(e, now, idem_key) for e in entries])
        n = len(line_rows)
        if n > s.MAX_PREBUILT_LINES and self.pg:
            # Many lines (an expiry batch, a usage batch) go in multi-row statements: the
            # balance trigger runs once per statement, so an account touched by every entry
            # (the tenant's side) is updated once per chunk, not once per line; thousands of
            # updates of one row in one transaction each walk the row's growing version chain.
            for lo in range(0, n, s.LINES_PER_STATEMENT):
                part = line_rows[lo : lo + s.LINES_PER_STATEMENT]
                self.db.write(s.LINES(len(part)), values_of(part, "l"))
        elif n > s.MAX_PREBUILT_LINES:
            self.conn.execute(t.lines.insert(), line_rows)
        elif n:
            self.db.write(s.LINES(n), values_of(line_rows, "l"))

    def get(self, entry_id: str) -> JournalEntry | None:
        key = {"tenant": self.tenant_id, "entry_id": entry_id}
        found = self.db.rows(s.ENTRY_ROW, key)
        if not found:
            return None
        lines = [
            dict(zip(s.LINE_COLUMNS, r, strict=True)) for r in self.db.rows(s.ENTRY_LINES, key)
        ]
        return rows.entry_from(dict(zip(s.ENTRY_COLUMNS, found[0], strict=True)), lines)

    def is_reversed(self, entry_id: str) -> bool:
        e = t.entries.c
        return (
            self.conn.execute(
                select(e.entry_id).where(e.tenant_id == self.tenant_id, e.reverses == entry_id)
            ).first()
            is not None
        )


class SqlLots(SqlBase):
    """Credit lots: the open lots of customers (locked), expiring lots, new and changed lots."""

    def lock_open(self, customer_ids: Iterable[str], unit: str) -> dict[str, list[CreditLot]]:
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

    def get(self, lot_ids: Iterable[str]) -> dict[str, CreditLot]:
        lo = t.lots.c
        stmt = select(t.lots).where(lo.tenant_id == self.tenant_id, lo.lot_id.in_(list(lot_ids)))
        return {r["lot_id"]: rows.lot_from(r) for r in self.conn.execute(stmt).mappings()}

    def lock_expiring(
        self, as_of: datetime, unit: str, limit: int | None = None
    ) -> list[CreditLot]:
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
            .limit(limit)
        )
        return [rows.lot_from(r) for r in self.conn.execute(self._lock(stmt)).mappings()]

    def add(self, lots: Sequence[CreditLot], entry_id: str) -> None:
        if lots:
            self.conn.execute(t.lots.insert(), [rows.lot_row(x, entry_id) for x in lots])

    def save(self, lots: Sequence[CreditLot]) -> None:
        """Nothing to write: the database moves a lot's counters from its journal lines, which
        ``SqlJournal.post`` inserted (migration 0012, docs/decisions/0042-...); the runtime
        role may not write them. The lots computed here are what the lines imply."""
