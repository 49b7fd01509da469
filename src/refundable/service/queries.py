"""The read side's vocabulary: plain records for the API, the console, the CLI and reports,
and the protocol both stores answer (SQL in ``adapters.db.queries``, in memory for fast
service tests in ``adapters.memory``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from refundable.core.money import Money
from refundable.ledger.accounts import AccountKey
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.entries import JournalEntry
from refundable.ledger.holds import Hold
from refundable.ledger.lots import CreditLot
from refundable.service.resources import Page


@dataclass(frozen=True, slots=True)
class Balance:
    account: AccountKey
    amount: Decimal  # on the account's normal side, in the commodity (ZAR 12.34, 500 MSGCR)


@dataclass(frozen=True, slots=True)
class StatementLine:
    entry_id: str
    effective_at: datetime
    kind: str
    memo: str
    account: str
    amount: Decimal
    balance: Decimal | None  # None: a refund to the payment's source, no account of theirs moved
    line_id: str = ""  # "<entry id>.<line no>": the line's own id, a statement page's cursor


def line_id(entry_id: str, line_no: int) -> str:
    return f"{entry_id}.{line_no}"


def parse_line_id(text: str) -> tuple[str, int] | None:
    """``line_id``'s parts, or None for text that is no line id."""
    entry, dot, number = text.rpartition(".")
    if not (entry and dot and number.isdigit() and len(number) <= 6):
        return None
    return entry, int(number)


@dataclass(frozen=True, slots=True)
class LotMovement:
    entry_id: str
    effective_at: datetime
    kind: str
    units: int  # +added to the lot, -taken from it


@dataclass(frozen=True, slots=True)
class PaymentReturn:
    kind: str
    return_id: str
    payment_id: str
    amount: Money
    entry_id: str
    at: datetime


class LedgerQueries(Protocol):
    def balances(
        self, tenant: str, as_of: datetime | None = None, owner: str | None = None
    ) -> list[Balance]: ...
    def balance(
        self, tenant: str, account: AccountKey, as_of: datetime | None = None
    ) -> Decimal: ...
    def rollup(
        self, tenant: str, as_of: datetime | None = None
    ) -> dict[tuple[str, str], Decimal]: ...
    def journal(self, tenant: str) -> list[JournalEntry]: ...
    def journal_page(self, tenant: str, after: str | None, limit: int) -> Page[JournalEntry]:
        """The journal in ``journal``'s order, ``limit`` entries after the entry ``after``
        (none when it is no entry of the tenant's), read a page at a time."""
        ...

    def statement(
        self, tenant: str, customer: str, limit: int | None = None
    ) -> list[StatementLine]: ...
    def statement_page(
        self, tenant: str, customer: str, after: str | None, limit: int
    ) -> Page[StatementLine] | None:
        """``statement``'s lines in its order (oldest first), ``limit`` of them after the line
        whose ``line_id`` is ``after``, each with its account's running balance carried from
        the lines before; None when ``after`` names no line of the tenant's journal."""
        ...

    def lots_of(self, tenant: str, customer: str) -> list[CreditLot]: ...
    def lot_history(self, tenant: str, lot_id: str) -> list[LotMovement]: ...
    def lots_of_event(self, tenant: str, event_id: str) -> list[Allocation]: ...
    def returns_of(
        self, tenant: str, payment_id: str | None = None, return_id: str | None = None
    ) -> list[PaymentReturn]: ...
    def payment_of_refund(self, tenant: str, refund_id: str) -> str | None: ...
    def remaining_refundable(self, tenant: str, payment_id: str) -> Money | None: ...
    def holds_of(self, tenant: str, customer: str) -> list[Hold]: ...
    def active_holds(self, tenant: str, customer: str) -> list[Hold]: ...
