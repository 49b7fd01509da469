"""Pure builders for unit-credit movements: buying a lot, using credits, reinstating them after
a failed usage, and expiring or forfeiting what is left.

Each movement has two faces, kept in one entry so they can never drift apart:
* units: Dr credits-issued / Cr the customer's credit lots (per lot line), and back again when
  credits are used (credits-consumed) or lapse (credits-expired);
* money (only for lots that were paid for): the price sits in deferred revenue at purchase and
  moves to revenue as units are used, or to breakage income when they lapse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import AccountKey, Kind, check_id, positive_units
from refundable.ledger.entries import EntryKind, JournalEntry, Line
from refundable.ledger.ids import derived_id
from refundable.ledger.lots import CreditLot, Draw, LotSource, LotStatus


@dataclass(frozen=True, slots=True)
class LotPurchase:
    lot_id: str
    customer_id: str
    units: int
    price: Money
    valid_until: datetime
    source: LotSource
    paid_from: Kind  # wallet, account_credit or receivable (billed, paid later)
    priority: int = 0
    unit: str = chart.CREDIT_UNIT


def _check_purchase(p: LotPurchase, at: datetime) -> tuple[int, int]:
    """The lot's units and price in minor units, or the reason it cannot be bought."""
    units = positive_units(p.units, "units")
    check_id(p.lot_id, "lot_id")
    if not at < p.valid_until:
        raise InputError(
            f"lot {p.lot_id} would be valid only until {p.valid_until.isoformat()}",
            where="valid_until",
            allowed=f"an instant after {at.isoformat()}",
        )
    price = p.price.to_minor() if not p.price.is_zero else 0
    if price < 0 or (p.source is LotSource.purchase and price == 0):
        raise InputError(
            f"price {p.price} for a {p.source.value} lot",
            where="price",
            allowed="above 0 for purchases; 0 or more for granted credits",
        )
    if p.paid_from not in (Kind.wallet, Kind.account_credit, Kind.receivable):
        raise InputError(
            f"cannot pay a lot from {p.paid_from.name}",
            where="paid_from",
            allowed="wallet, account_credit, receivable",
        )
    return units, price


def buy_lot(
    entry_id: str, tenant_id: str, p: LotPurchase, at: datetime
) -> tuple[CreditLot, JournalEntry]:
    """A new lot: units issued to the customer; its price (if any) into deferred revenue."""
    units, price = _check_purchase(p, at)
    c = p.price.currency
    lot = CreditLot.fresh(
        p.lot_id, tenant_id, p.customer_id, p.unit, units, price, c, p.valid_until, p.source, at,
        p.priority,
    )  # fmt: skip
    lines = [
        Line(chart.tenant_account(Kind.credits_issued, p.unit), units),
        Line(chart.credit_lots(p.customer_id, p.unit), -units, p.lot_id),
    ]
    if price:
        lines += [
            Line(AccountKey(p.paid_from, c, p.customer_id), price),
            Line(chart.deferred_revenue(p.customer_id, c), -price),
        ]
    memo = f"{p.source.value} lot {p.lot_id}: {units} {p.unit}"
    e = JournalEntry(entry_id, tenant_id, EntryKind.lot_purchase, at, tuple(lines), memo, p.lot_id)
    return lot, e


def usage_entry(
    entry_id: str,
    tenant_id: str,
    customer: str,
    lots: dict[str, CreditLot],
    draws: Iterable[Draw],
    at: datetime,
    ref: str,
    kind: EntryKind = EntryKind.usage,
    counter: Kind = Kind.credits_consumed,
) -> JournalEntry:
    """One entry for many draws of one customer: a unit line per lot, the units to
    ``counter``, and the recognised value from deferred revenue to revenue (or breakage)."""
    per_lot: dict[str, int] = defaultdict(int)
    per_currency: dict[str, int] = defaultdict(int)
    for d in draws:
        per_lot[d.lot_id] += d.units
        per_currency[lots[d.lot_id].currency] += d.value_minor
    unit = next(iter(lots.values())).unit
    lines = [Line(chart.credit_lots(customer, unit), n, lot_id) for lot_id, n in per_lot.items()]
    lines.append(Line(chart.tenant_account(counter, unit), -sum(per_lot.values())))
    income = Kind.revenue if counter is Kind.credits_consumed else Kind.breakage
    for c, value in per_currency.items():
        if value:
            lines += [
                Line(chart.deferred_revenue(customer, c), value),
                Line(chart.tenant_account(income, c), -value),
            ]
    return JournalEntry(entry_id, tenant_id, kind, at, tuple(lines), f"{kind.value} {ref}", ref)


def lapse(
    entry_id: str,
    tenant_id: str,
    lots: Sequence[CreditLot],
    at: datetime,
    ref: str,
    status: LotStatus,
) -> tuple[list[CreditLot], JournalEntry | None]:
    """Expire or forfeit what is left of ``lots`` (one customer): units to credits-expired,
    their deferred value to breakage income."""
    live = [lot for lot in lots if lot.remaining > 0 and lot.status is LotStatus.open]
    if not live:
        return [], None
    draws = [Draw(lot.lot_id, lot.remaining, lot.value_left_minor) for lot in live]
    kind = EntryKind.expiry if status is LotStatus.expired else EntryKind.forfeiture
    e = usage_entry(
        entry_id,
        tenant_id,
        live[0].customer_id,
        {x.lot_id: x for x in live},
        draws,
        at,
        ref,
        kind,
        Kind.credits_expired,
    )
    return [lot.close(status) for lot in live], e


@dataclass(frozen=True, slots=True)
class Allocation:
    """Traceability record: ``units`` of lot ``lot_id`` went to usage event ``event_id``."""

    event_id: str
    lot_id: str
    units: int
    value_minor: int


# (event id, lot id, units, value_minor): an Allocation as a plain tuple.
AllocationRow = tuple[str, str, int, int]


class Allocations(Sequence[Allocation]):
    """A batch's allocations (one per event and lot drawn), kept as plain tuples.

    Ingestion makes one per event. As frozen dataclasses they cost about 1 µs each to build,
    and 50,000 of them alive through a batch each time made the garbage collector walk the
    whole heap (a full collection per batch); a plain tuple of strings and integers costs a
    tenth of that and leaves the collector's lists at its first pass (issue 7,
    docs/decisions/0064-...). Read as a sequence, it gives ``Allocation`` records."""

    __slots__ = ("rows",)

    def __init__(self, rows: Iterable[AllocationRow] = ()) -> None:
        self.rows: list[AllocationRow] = list(rows)

    @classmethod
    def of(cls, allocations: Iterable[Allocation]) -> Allocations:
        return cls((a.event_id, a.lot_id, a.units, a.value_minor) for a in allocations)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Allocation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Allocation]: ...
    def __getitem__(self, index: int | slice) -> Allocation | list[Allocation]:
        if isinstance(index, slice):
            return [Allocation(*row) for row in self.rows[index]]
        return Allocation(*self.rows[index])

    def __iter__(self) -> Iterator[Allocation]:
        return (Allocation(*row) for row in self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Allocations):
            return self.rows == other.rows
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable while a batch is allocated

    def __repr__(self) -> str:
        return f"Allocations({self.rows!r})"


def _reinstated(
    orig: CreditLot, a: Allocation, customer: str, event_id: str, at: datetime,
    valid_until: datetime | None,
) -> tuple[CreditLot, list[Line]]:  # fmt: skip
    until = valid_until or orig.valid_until
    if not at < until:
        raise InputError(
            f"credits reinstated from lot {orig.lot_id} would already be expired",
            where="valid_until",
            allowed=f"an instant after {at.isoformat()}",
        )
    lot_id = derived_id("reinstated", orig.lot_id, event_id)
    lot = CreditLot.fresh(
        lot_id, orig.tenant_id, customer, orig.unit, a.units,
        a.value_minor, orig.currency, until, LotSource.reinstatement, at, orig.priority,
    )  # fmt: skip
    lines = [
        Line(chart.tenant_account(Kind.credits_consumed, orig.unit), a.units),
        Line(chart.credit_lots(customer, orig.unit), -a.units, lot.lot_id),
    ]
    if a.value_minor:
        lines += [
            Line(chart.tenant_account(Kind.revenue, orig.currency), a.value_minor),
            Line(chart.deferred_revenue(customer, orig.currency), -a.value_minor),
        ]
    return lot, lines


def reinstate(
    entry_id: str,
    tenant_id: str,
    customer: str,
    event_id: str,
    allocations: Sequence[Allocation],
    originals: dict[str, CreditLot],
    at: datetime,
    valid_until: datetime | None,
) -> tuple[list[CreditLot], JournalEntry]:
    """Give back the credits a failed usage event consumed, as new ``reinstatement`` lots (one
    per lot drawn, same unit price, the original expiry unless the policy sets another), and
    move their recognised value back from revenue to deferred revenue."""
    new_lots: list[CreditLot] = []
    lines: list[Line] = []
    for a in allocations:
        lot, more = _reinstated(originals[a.lot_id], a, customer, event_id, at, valid_until)
        new_lots.append(lot)
        lines += more
    memo = f"reinstatement for failed usage {event_id}"
    kind = EntryKind.usage_reinstatement
    return new_lots, JournalEntry(entry_id, tenant_id, kind, at, tuple(lines), memo, event_id)
