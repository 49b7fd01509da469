"""The API's resource reads over the in-memory tables (same answers as the SQL ones)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TypeVar

from refundable.ledger.accounts import AccountKey
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.entries import EntryKind
from refundable.ledger.lots import CreditLot
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent
from refundable.service.resources import Charge, Page, charge_of, page_of

from .tables import TK, MemoryStore

T = TypeVar("T")


def _page(
    table: Mapping[TK, T],
    tenant: str,
    limit: int,
    after: str | None,
    keep: Callable[[T], bool] = lambda _: True,
) -> Page[T]:
    ids = sorted(i for (t, i), v in table.items() if t == tenant and keep(v))
    chosen = [table[(tenant, i)] for i in ids if after is None or i > after]
    return page_of(chosen[: limit + 1], limit)


class MemoryResourceQueries:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def _known(self, tenant: str) -> set[str]:
        """The registered customers, the owners of customers' own accounts and the customers
        of subscriptions (ADR 0083)."""
        tables = self.store.tables
        found = {i for (t, i) in tables.parties if t == tenant}
        for t, code in tables.balances:
            if t == tenant:
                key = AccountKey.parse(code)
                if key.kind.spec.per_customer and key.owner:
                    found.add(key.owner)
        found |= {s.customer_id for (t, _), s in tables.subscriptions.items() if t == tenant}
        return found

    def customers(self, tenant: str, limit: int, after: str | None) -> Page[Party]:
        ids = sorted(i for i in self._known(tenant) if after is None or i > after)
        parties = self.store.tables.parties
        chosen = [parties.get((tenant, i)) or Party(tenant, i) for i in ids[: limit + 1]]
        return page_of(chosen, limit)

    def customer(self, tenant: str, customer_id: str) -> Party | None:
        found = self.store.tables.parties.get((tenant, customer_id))
        if found is None and customer_id in self._known(tenant):
            return Party(tenant, customer_id)
        return found

    def known_customers(self, tenant: str, customer_ids: Collection[str]) -> set[str]:
        return self._known(tenant) & set(customer_ids)

    def payments(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[Payment]:
        keep = (lambda p: p.customer_id == customer) if customer else (lambda _: True)
        return _page(self.store.tables.payments, tenant, limit, after, keep)

    def payment(self, tenant: str, payment_id: str) -> Payment | None:
        return self.store.tables.payments.get((tenant, payment_id))

    def _charges(self, tenant: str) -> list[Charge]:
        entries = self.store.tables.entries
        found = [e for (t, _), (_, e) in entries.items()
                 if t == tenant and e.kind is EntryKind.charge and e.ref is not None]  # fmt: skip
        return [charge_of(e) for e in sorted(found, key=lambda e: (e.ref, e.entry_id))]

    def charges(self, tenant: str, limit: int, after: str | None) -> Page[Charge]:
        found = [x for x in self._charges(tenant) if after is None or x.charge_id > after]
        return page_of(found[: limit + 1], limit)

    def charge(self, tenant: str, charge_id: str) -> Charge | None:
        return next((x for x in self._charges(tenant) if x.charge_id == charge_id), None)

    def charges_of(self, tenant: str, customer: str, limit: int) -> Page[Charge]:
        mine = [x for x in self._charges(tenant) if x.customer_id == customer]
        mine.sort(key=lambda x: (x.charged_at, x.entry_id), reverse=True)
        return page_of(mine[: limit + 1], limit)

    def decisions(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[DecisionRecord]:
        keep = (lambda d: d.customer_id == customer) if customer else (lambda _: True)
        return _page(self.store.tables.decisions, tenant, limit, after, keep)

    def decision(self, tenant: str, decision_id: str) -> DecisionRecord | None:
        return self.store.tables.decisions.get((tenant, decision_id))

    def lots(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[CreditLot]:
        keep = (lambda lot: lot.customer_id == customer) if customer else (lambda _: True)
        return _page(self.store.tables.lots, tenant, limit, after, keep)

    def lot(self, tenant: str, lot_id: str) -> CreditLot | None:
        return self.store.tables.lots.get((tenant, lot_id))

    def usage_event(self, tenant: str, event_id: str) -> UsageEvent | None:
        return self.store.tables.events.get((tenant, event_id))
