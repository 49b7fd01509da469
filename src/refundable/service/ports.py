"""What the service layer needs from storage, as protocols the adapters implement.

Handlers see a tenant-scoped :class:`LedgerStore` inside a :class:`UnitOfWork`: one database
transaction, committed explicitly or rolled back on any exception, so a refused command
writes nothing. ``lock_*`` methods take row locks on PostgreSQL (``FOR UPDATE``, in a fixed
order: payment, then lots, then accounts) and rely on SQLite's ``BEGIN IMMEDIATE`` writer lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol

from refundable.ledger.accounts import AccountKey
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.entries import JournalEntry
from refundable.ledger.lots import CreditLot
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent


class Retry(Exception):
    """A transient storage conflict (deadlock, serialization failure, a concurrent insert of
    the same key): the whole command is run again from the start."""


@dataclass(frozen=True, slots=True)
class Claim:
    """What the idempotency table already holds for a key (``result`` None while in flight)."""

    command: str
    payload_hash: str
    result: str | None


@dataclass(frozen=True, slots=True)
class Hold:
    """An account hold; ``released_at``/``resolution`` are set once it has been released
    (a release is its own append-only record, the hold itself never changes)."""

    hold_id: str
    customer_id: str
    reason: str
    payment_id: str | None
    dispute_id: str | None
    placed_at: datetime
    released_at: datetime | None = None
    resolution: str | None = None


class LedgerStore(Protocol):
    tenant_id: str

    # idempotency
    def claim(self, key: str, command: str, payload_hash: str) -> Claim | None: ...
    def remember(self, key: str, result: str) -> None: ...

    # journal
    def lock_balances(self, accounts: Iterable[AccountKey]) -> dict[AccountKey, int]: ...
    def post(self, entries: Sequence[JournalEntry], idem_key: str | None) -> None: ...
    def entry(self, entry_id: str) -> JournalEntry | None: ...
    def is_reversed(self, entry_id: str) -> bool: ...

    # parties
    def party(self, customer_id: str) -> Party | None: ...
    def add_party(self, party: Party) -> None: ...

    # lots
    def lock_lots(self, customer_ids: Iterable[str], unit: str) -> dict[str, list[CreditLot]]: ...
    def lots(self, lot_ids: Iterable[str]) -> dict[str, CreditLot]: ...
    def lock_expiring(self, as_of: datetime, unit: str) -> list[CreditLot]: ...
    def add_lots(self, lots: Sequence[CreditLot], entry_id: str) -> None: ...
    def save_lots(self, lots: Sequence[CreditLot]) -> None: ...

    # payments
    def lock_payment(self, payment_id: str) -> Payment | None: ...
    def add_payment(self, payment: Payment) -> None: ...
    def save_payment(self, payment: Payment) -> None: ...
    def add_return(
        self,
        kind: str,
        return_id: str,
        payment: Payment,
        amount_minor: int,
        entry_id: str,
        at: datetime,
        reason: str,
    ) -> None: ...
    def has_return(self, kind: str, return_id: str) -> bool: ...

    # usage
    def known_events(self, event_ids: Sequence[str]) -> dict[str, tuple[str, int]]: ...
    def add_usage(
        self,
        events: Sequence[UsageEvent],
        entry_of: Mapping[str, str],
        allocations: Sequence[Allocation],
    ) -> None: ...
    def usage_event(self, event_id: str) -> UsageEvent | None: ...
    def allocations_of(self, event_id: str) -> list[Allocation]: ...
    def failure_of(self, event_id: str) -> tuple[str, bool] | None: ...
    def add_failure(
        self, event_id: str, cause: str, reinstated: bool, entry_id: str | None, at: datetime
    ) -> None: ...

    # holds
    def add_hold(self, hold: Hold) -> None: ...
    def lock_hold(self, hold_id: str) -> Hold | None: ...
    def release_hold(self, hold_id: str, resolution: str, reason: str, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def ledger(self, tenant_id: str) -> LedgerStore: ...
    def commit(self) -> None: ...
