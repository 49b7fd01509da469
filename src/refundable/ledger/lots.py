"""Credit lots and FEFO allocation.

A lot is a block of unit credits (message credits) with its own expiry, price and source.
Usage draws from lots in a configurable order: first by source priority (by default
promotional and trial credits before reinstated before paid ones, so the customer keeps what
they paid for longest), then soonest-to-expire first (FEFO), then oldest, then by lot id so the
order is total and the same input always gives the same allocation.

The money value of a lot is recognised as revenue in proportion to the units used, computed
from the remaining units each time (``value_left = price * remaining // units``) so the
recognised parts always add up exactly to the price when the lot is used up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from refundable.core.errors import InputError, InsufficientFunds, InvariantBroken, LotExpired


class LotSource(Enum):
    purchase = "purchase"
    promotion = "promotion"
    trial = "trial"
    reinstatement = "reinstatement"


class LotStatus(Enum):
    open = "open"
    exhausted = "exhausted"
    expired = "expired"
    forfeited = "forfeited"


@dataclass(frozen=True, slots=True)
class LotPriority:
    """Order of sources when drawing credits; sources not named come last."""

    sources: tuple[LotSource, ...] = (
        LotSource.promotion,
        LotSource.trial,
        LotSource.reinstatement,
        LotSource.purchase,
    )

    def rank(self, source: LotSource) -> int:
        return self.sources.index(source) if source in self.sources else len(self.sources)


DEFAULT_PRIORITY = LotPriority()


@dataclass(frozen=True, slots=True)
class CreditLot:
    lot_id: str
    tenant_id: str
    customer_id: str
    unit: str
    units: int
    remaining: int
    price_minor: int  # what the customer paid for the whole lot (0 for granted credits)
    currency: str
    value_left_minor: int  # deferred revenue still held for this lot
    valid_until: datetime
    source: LotSource
    acquired_at: datetime
    priority: int = 0  # lower first, within the same source rank
    status: LotStatus = LotStatus.open

    @classmethod
    def fresh(
        cls, lot_id: str, tenant_id: str, customer_id: str, unit: str, units: int,
        price_minor: int, currency: str, valid_until: datetime, source: LotSource,
        acquired_at: datetime, priority: int = 0,
    ) -> CreditLot:  # fmt: skip
        """A new, untouched lot: all units remaining, its whole price still deferred."""
        return cls(
            lot_id, tenant_id, customer_id, unit, units, units, price_minor, currency,
            price_minor, valid_until, source, acquired_at, priority,
        )  # fmt: skip

    def usable_at(self, at: datetime) -> bool:
        return self.status is LotStatus.open and self.remaining > 0 and at < self.valid_until

    def take(self, units: int) -> tuple[CreditLot, int]:
        """The lot after ``units`` are drawn, and the deferred revenue that draw recognises."""
        if not 0 < units <= self.remaining:
            raise InvariantBroken(f"lot {self.lot_id}: cannot take {units} of {self.remaining}")
        left = self.remaining - units
        value_left = self.price_minor * left // self.units
        status = LotStatus.exhausted if left == 0 else self.status
        lot = replace(self, remaining=left, value_left_minor=value_left, status=status)
        return lot, self.value_left_minor - value_left

    def close(self, status: LotStatus) -> CreditLot:
        return replace(self, remaining=0, value_left_minor=0, status=status)


OrderKey = tuple[int, int, datetime, datetime, str]


def order_key(priority: LotPriority) -> Callable[[CreditLot], OrderKey]:
    def key(lot: CreditLot) -> OrderKey:
        return (
            priority.rank(lot.source),
            lot.priority,
            lot.valid_until,
            lot.acquired_at,
            lot.lot_id,
        )

    return key


def fefo_order(
    lots: Iterable[CreditLot], priority: LotPriority = DEFAULT_PRIORITY
) -> list[CreditLot]:
    return sorted(lots, key=order_key(priority))


@dataclass(frozen=True, slots=True)
class Draw:
    lot_id: str
    units: int
    value_minor: int


def allocate(
    lots: Sequence[CreditLot],
    units: int,
    at: datetime,
    priority: LotPriority = DEFAULT_PRIORITY,
    where: str = "units",
) -> tuple[list[CreditLot], list[Draw]]:
    """Draw ``units`` from ``lots`` in priority/FEFO order as of ``at``.

    Returns the lots after the draw (same order as given) and the draws. Refuses with
    :class:`LotExpired` when only expired credits could have covered it, else with
    :class:`InsufficientFunds`; nothing is drawn in either case.
    """
    if units <= 0:
        raise InputError(f"{units} units", where=where, allowed="a whole number above 0")
    usable = [lot for lot in fefo_order(lots, priority) if lot.usable_at(at)]
    available = sum(lot.remaining for lot in usable)
    if available < units:
        _refuse(lots, units, available, at, where)
    changed: dict[str, CreditLot] = {}
    draws: list[Draw] = []
    need = units
    for lot in usable:
        if need == 0:
            break
        take = min(need, lot.remaining)
        after, value = lot.take(take)
        changed[lot.lot_id] = after
        draws.append(Draw(lot.lot_id, take, value))
        need -= take
    return [changed.get(lot.lot_id, lot) for lot in lots], draws


def _refuse(
    lots: Sequence[CreditLot], units: int, available: int, at: datetime, where: str
) -> None:
    expired = sum(
        lot.remaining
        for lot in lots
        if lot.status is LotStatus.open and lot.remaining > 0 and not at < lot.valid_until
    )
    if expired and available + expired >= units:
        raise LotExpired(
            f"{units} credits needed at {at.isoformat()}: {available} usable, "
            f"{expired} more only in expired lots",
            where=where,
            allowed=f"at most {available} units, or buy a new lot",
        )
    raise InsufficientFunds(
        f"{units} credits needed, {available} available at {at.isoformat()}",
        where=where,
        allowed=f"at most {available} units",
    )


def expiring(lots: Iterable[CreditLot], as_of: datetime) -> list[CreditLot]:
    """Open lots with credits left whose validity ended at or before ``as_of``."""
    return [
        lot
        for lot in lots
        if lot.status is LotStatus.open and lot.remaining > 0 and not as_of < lot.valid_until
    ]
