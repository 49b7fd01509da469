"""Batch allocation of usage events to credit lots: the hot path, pure and in memory.

A messaging customer sends millions of messages a day. Allocating them one entry per event
would make the journal as big as the traffic, so a batch is allocated in memory (priority /
FEFO per customer, as of each event's own instant) and produces one journal entry per customer
per batch, with one unit line per lot drawn; the per-event allocation (event -> lot, units,
value) is kept as traceability rows. The arithmetic matches ``CreditLot.take`` exactly, but
runs on plain integers to keep the per-event cost to a few hundred nanoseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from refundable.core.errors import InputError, InsufficientFunds, LotExpired
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.lots import (
    DEFAULT_PRIORITY,
    CreditLot,
    Draw,
    LotPriority,
    LotStatus,
    fefo_order,
)


@dataclass(frozen=True, slots=True)
class UsageEvent:
    event_id: str
    customer_id: str
    units: int
    occurred_at: datetime


@dataclass(slots=True)
class _Book:
    """One customer's lots during a batch (mutable scratch, never leaves this module)."""

    lots: list[CreditLot]
    remaining: list[int]
    value_left: list[int]
    drawn_units: list[int] = field(default_factory=list)  # per lot index, this batch
    drawn_value: list[int] = field(default_factory=list)
    head: int = 0  # first lot that may still have credits


@dataclass(frozen=True, slots=True)
class BatchAllocation:
    lots: list[CreditLot]  # lots whose state changed
    allocations: list[Allocation]
    draws: dict[str, list[Draw]]  # customer -> per-lot totals
    accepted: list[UsageEvent]
    rejected: list[tuple[UsageEvent, str]]


def allocate_batch(
    lots_by_customer: Mapping[str, Sequence[CreditLot]],
    events: Iterable[UsageEvent],
    priority: LotPriority = DEFAULT_PRIORITY,
    partial: bool = False,
) -> BatchAllocation:
    """Allocate every event, in the order given. An event that cannot be covered refuses the
    whole batch (nothing is written) unless ``partial``, in which case it is returned in
    ``rejected`` with the reason and the rest go ahead."""
    books = {c: _book(lots, priority) for c, lots in lots_by_customer.items()}
    allocations: list[Allocation] = []
    accepted: list[UsageEvent] = []
    rejected: list[tuple[UsageEvent, str]] = []
    for ev in events:
        book = books.get(ev.customer_id) or books.setdefault(ev.customer_id, _Book([], [], []))
        failure = _draw(book, ev, allocations)
        if failure is None:
            accepted.append(ev)
        elif partial:
            rejected.append((ev, str(failure)))
        else:
            raise failure
    changed: list[CreditLot] = []
    draws: dict[str, list[Draw]] = {}
    for customer, book in books.items():
        touched = [i for i, units in enumerate(book.drawn_units) if units]
        if touched:
            draws[customer] = [
                Draw(book.lots[i].lot_id, book.drawn_units[i], book.drawn_value[i]) for i in touched
            ]
            changed += [_settle(book, i) for i in touched]
    return BatchAllocation(changed, allocations, draws, accepted, rejected)


def _book(lots: Sequence[CreditLot], priority: LotPriority) -> _Book:
    ordered = [
        lot
        for lot in fefo_order(lots, priority)
        if lot.status is LotStatus.open and lot.remaining > 0
    ]
    n = len(ordered)
    return _Book(
        ordered, [x.remaining for x in ordered], [x.value_left_minor for x in ordered],
        [0] * n, [0] * n,
    )  # fmt: skip


def _draw(book: _Book, ev: UsageEvent, out: list[Allocation]) -> Exception | None:
    need = ev.units
    if isinstance(need, bool) or not isinstance(need, int) or need <= 0:
        return InputError(
            f"{need!r} units", where=f"event {ev.event_id}.units", allowed="a whole number above 0"
        )
    at = ev.occurred_at
    lots, remaining = book.lots, book.remaining
    while book.head < len(lots) and not remaining[book.head]:
        book.head += 1
    head = book.head
    # Fast path: the first lot with credits left is valid and covers the event on its own,
    # which is exactly what the general loop below would choose.
    if head < len(lots) and remaining[head] >= need and at < lots[head].valid_until:
        _take(book, head, need, ev, out)
        return None
    usable = [i for i, lot in enumerate(lots) if remaining[i] and at < lot.valid_until]
    if sum(remaining[i] for i in usable) < need:
        return _shortfall(book, ev, usable)
    for i in usable:
        take = min(need, remaining[i])
        _take(book, i, take, ev, out)
        need -= take
        if need == 0:
            break
    return None


def _take(book: _Book, i: int, take: int, ev: UsageEvent, out: list[Allocation]) -> None:
    lot = book.lots[i]
    left = book.remaining[i] - take
    value_left = lot.price_minor * left // lot.units
    value = book.value_left[i] - value_left
    book.remaining[i], book.value_left[i] = left, value_left
    book.drawn_units[i] += take
    book.drawn_value[i] += value
    out.append(Allocation(ev.event_id, lot.lot_id, take, value))


def _shortfall(book: _Book, ev: UsageEvent, usable: list[int]) -> Exception:
    available = sum(book.remaining[i] for i in usable)
    expired = sum(r for i, r in enumerate(book.remaining) if r and i not in usable)
    where = f"event {ev.event_id} (customer {ev.customer_id})"
    if expired and available + expired >= ev.units:
        return LotExpired(
            f"{ev.units} credits needed, {available} usable, {expired} more only "
            f"in lots expired at {ev.occurred_at.isoformat()}",
            where=where,
            allowed=f"at most {available} units",
        )
    return InsufficientFunds(
        f"{ev.units} credits needed, {available} available",
        where=where,
        allowed=f"at most {available} units",
    )


def _settle(book: _Book, i: int) -> CreditLot:
    left = book.remaining[i]
    status = LotStatus.exhausted if left == 0 else book.lots[i].status
    return replace(book.lots[i], remaining=left, value_left_minor=book.value_left[i], status=status)
