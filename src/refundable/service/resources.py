"""The read side of the API's resources: one tenant's customers, charges, payments, decisions
and credit lots, a page at a time.

Pages use keyset pagination on the resource's id (ascending): ``after`` is the last id of the
previous page, the store returns at most ``limit`` rows with an id greater than it, and
``has_more`` says whether another page follows. A page costs its own rows however long the
history grows, and is stable under inserts. Every read is scoped by tenant: an id of another
tenant is simply not found.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from refundable.core.money import Money
from refundable.ledger.accounts import Kind
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.entries import EntryKind, JournalEntry
from refundable.ledger.lots import CreditLot
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool


def page_of(found: list[T], limit: int) -> Page[T]:
    """``found`` holds up to ``limit + 1`` rows: the extra one only says more follow."""
    return Page(found[:limit], len(found) > limit)


@dataclass(frozen=True, slots=True)
class Charge:
    """A recorded charge (``RecordCharge``): what a customer was billed, read from its ledger
    entry (a charge has no table of its own: the entry is the record)."""

    charge_id: str
    customer_id: str
    amount: Money
    charged_at: datetime
    memo: str
    entry_id: str


def charge_of(entry: JournalEntry) -> Charge:
    """The charge a ``charge`` entry records: the receivable line names customer and amount."""
    if entry.kind is not EntryKind.charge or entry.ref is None:
        raise ValueError(f"entry {entry.entry_id} is not a charge")
    line = next(x for x in entry.lines if x.account.kind is Kind.receivable)
    amount = Money.from_minor(line.amount, line.account.commodity)
    owner = line.account.owner or ""
    return Charge(entry.ref, owner, amount, entry.effective_at, entry.memo, entry.entry_id)


class ResourceQueries(Protocol):
    def customers(self, tenant: str, limit: int, after: str | None) -> Page[Party]:
        """The customers the tenant knows, by id (ADR 0083): registered, or named by a
        record (a customer's own account, a subscription); one not registered has no links."""
        ...

    def customer(self, tenant: str, customer_id: str) -> Party | None: ...
    def known_customers(self, tenant: str, customer_ids: Collection[str]) -> set[str]:
        """Those of ``customer_ids`` the tenant knows (the same rule as ``customers``)."""
        ...

    def payments(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[Payment]: ...
    def payment(self, tenant: str, payment_id: str) -> Payment | None: ...
    def charges(self, tenant: str, limit: int, after: str | None) -> Page[Charge]: ...
    def charge(self, tenant: str, charge_id: str) -> Charge | None: ...
    def charges_of(self, tenant: str, customer: str, limit: int) -> Page[Charge]:
        """One customer's charges, newest first (by when charged, then entry id)."""
        ...

    def decisions(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[DecisionRecord]: ...
    def decision(self, tenant: str, decision_id: str) -> DecisionRecord | None: ...
    def lots(
        self, tenant: str, limit: int, after: str | None, customer: str | None = None
    ) -> Page[CreditLot]: ...
    def lot(self, tenant: str, lot_id: str) -> CreditLot | None: ...
    def usage_event(self, tenant: str, event_id: str) -> UsageEvent | None: ...
