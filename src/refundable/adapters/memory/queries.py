"""The read side over the in-memory tables (the same answers as ``adapters.db.queries``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from refundable.core.money import Money
from refundable.ledger.accounts import AccountKey, Kind, to_units
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.entries import JournalEntry
from refundable.ledger.holds import Hold
from refundable.ledger.lots import CreditLot
from refundable.service.queries import (
    Balance,
    LotMovement,
    PaymentReturn,
    StatementLine,
    line_id,
)
from refundable.service.resources import Page, page_of

from .tables import MemoryStore


class MemoryQueries:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def _entries(self, tenant: str) -> list[JournalEntry]:
        found = [(s, e) for (t, _), (s, e) in self.store.tables.entries.items() if t == tenant]
        found.sort(key=lambda x: (x[1].effective_at, x[0], x[1].entry_id))
        return [e for _, e in found]

    def balances(
        self, tenant: str, as_of: datetime | None = None, owner: str | None = None
    ) -> list[Balance]:
        sums: dict[AccountKey, int] = {}
        for e in self._entries(tenant):
            if as_of is None or e.effective_at <= as_of:
                for line in e.lines:
                    sums[line.account] = sums.get(line.account, 0) + line.amount
        return sorted(
            (
                Balance(k, to_units(k.natural(s), k.commodity))
                for k, s in sums.items()
                if owner is None or k.owner == owner
            ),
            key=lambda b: b.account.code,
        )

    def balance(self, tenant: str, account: AccountKey, as_of: datetime | None = None) -> Decimal:
        for b in self.balances(tenant, as_of, account.owner):
            if b.account == account:
                return b.amount
        return to_units(0, account.commodity)

    def rollup(self, tenant: str, as_of: datetime | None = None) -> dict[tuple[str, str], Decimal]:
        out: dict[tuple[str, str], Decimal] = {}
        for b in self.balances(tenant, as_of):
            key = (b.account.kind.name, b.account.commodity)
            out[key] = out.get(key, to_units(0, b.account.commodity)) + b.amount
        return out

    def journal(self, tenant: str) -> list[JournalEntry]:
        return self._entries(tenant)

    def journal_page(self, tenant: str, after: str | None, limit: int) -> Page[JournalEntry]:
        found = self._entries(tenant)
        if after is not None:
            ids = [e.entry_id for e in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        return page_of(found[: limit + 1], limit)

    def statement(
        self, tenant: str, customer: str, limit: int | None = None
    ) -> list[StatementLine]:
        own = {k for k in Kind if k.spec.per_customer}
        running: dict[str, int] = {}
        out: list[StatementLine] = []
        for e in self._entries(tenant):
            for n, line in enumerate(e.lines):
                k = line.account
                if k.owner != customer or k.kind not in own:
                    continue
                running[k.code] = running.get(k.code, 0) + line.amount
                out.append(
                    StatementLine(
                        e.entry_id, e.effective_at, e.kind.value, e.memo, k.code,
                        to_units(k.natural(line.amount), k.commodity),
                        to_units(k.natural(running[k.code]), k.commodity),
                        line_id(e.entry_id, n),
                    )
                )  # fmt: skip
        return out if limit is None else out[-limit:]  # the newest page, as the SQL one

    def statement_page(
        self, tenant: str, customer: str, after: str | None, limit: int
    ) -> Page[StatementLine] | None:
        found = self.statement(tenant, customer)
        if after is not None:
            ids = [x.line_id for x in found]
            if after not in ids:
                return None
            found = found[ids.index(after) + 1 :]
        return page_of(found[: limit + 1], limit)

    def lots_of(self, tenant: str, customer: str) -> list[CreditLot]:
        mine = [
            x
            for (t, _), x in self.store.tables.lots.items()
            if t == tenant and x.customer_id == customer
        ]
        return sorted(mine, key=lambda x: (x.acquired_at, x.lot_id))

    def lot_history(self, tenant: str, lot_id: str) -> list[LotMovement]:
        return [
            LotMovement(e.entry_id, e.effective_at, e.kind.value, -line.amount)
            for e in self._entries(tenant)
            for line in e.lines
            if line.lot_id == lot_id
        ]

    def lots_of_event(self, tenant: str, event_id: str) -> list[Allocation]:
        found = self.store.tables.allocations.get((tenant, event_id), ())
        return sorted(found, key=lambda a: a.lot_id)

    def returns_of(
        self, tenant: str, payment_id: str | None = None, return_id: str | None = None
    ) -> list[PaymentReturn]:
        found = [
            r
            for (t, _, _), r in self.store.tables.returns.items()
            if t == tenant
            and (payment_id is None or r.payment_id == payment_id)
            and (return_id is None or r.return_id == return_id)
        ]
        return sorted(found, key=lambda r: (r.at, r.return_id))

    def payment_of_refund(self, tenant: str, refund_id: str) -> str | None:
        found = [x for x in self.returns_of(tenant, return_id=refund_id) if x.kind == "refund"]
        return found[0].payment_id if found else None

    def remaining_refundable(self, tenant: str, payment_id: str) -> Money | None:
        p = self.store.tables.payments.get((tenant, payment_id))
        return None if p is None else p.money(p.refundable_minor)

    def holds_of(self, tenant: str, customer: str) -> list[Hold]:
        mine = [
            h
            for (t, _), h in self.store.tables.holds.items()
            if t == tenant and h.customer_id == customer
        ]
        return sorted(mine, key=lambda h: (h.placed_at, h.hold_id))

    def active_holds(self, tenant: str, customer: str) -> list[Hold]:
        return [h for h in self.holds_of(tenant, customer) if h.released_at is None]
