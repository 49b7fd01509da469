"""Unit-credit commands: buy a lot, use credits (one event or a batch), fail a usage event,
expire lots, forfeit credits.

How long a lot stays valid and whether a failed message gives its credits back are the
policy's answers (``credits.valid_days``, ``credits.reinstate_on_failure``), so no command
carries them: the handler asks the catalog at the command's instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from operator import attrgetter

from refundable.core import limits
from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.ledger.accounts import CREDIT_UNIT
from refundable.ledger.lots import DEFAULT_PRIORITY, LotPriority, LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service.commands.base import (
    ID_MATCH,
    Command,
    bad,
    check_id,
    check_instant,
    check_int,
)


class PaidFrom(Enum):
    """How a credit lot's price is settled: from the wallet, from account credit, or billed
    (added to the receivable and paid later with RecordPayment)."""

    wallet = "wallet"
    account_credit = "account_credit"
    invoice = "invoice"


class ForfeitReason(Enum):
    termination = "termination"
    closure = "closure"


@dataclass(frozen=True, slots=True)
class BuyCreditLot(Command):
    tenant_id: str
    idempotency_key: str
    lot_id: str
    customer_id: str
    units: int
    price: Money
    source: LotSource
    at: datetime
    paid_from: PaidFrom = PaidFrom.invoice
    priority: int = 0
    unit: str = CREDIT_UNIT
    BUSINESS_KEYS = (("lot", "lot_id"),)


@dataclass(frozen=True, slots=True)
class ConsumeCredits(Command):
    tenant_id: str
    idempotency_key: str
    event_id: str
    customer_id: str
    units: int
    at: datetime
    unit: str = CREDIT_UNIT
    priority: LotPriority = DEFAULT_PRIORITY
    BUSINESS_KEYS = (("usage", "event_id"),)


@dataclass(frozen=True, slots=True)
class IngestUsage(Command):
    """A batch of usage events, each with its own id; idempotent per event id (the usage
    table is the record, so no idempotency key). With ``partial`` the events that cannot be
    covered are returned as rejected instead of refusing the whole batch."""

    tenant_id: str
    events: tuple[UsageEvent, ...]
    at: datetime
    unit: str = CREDIT_UNIT
    priority: LotPriority = DEFAULT_PRIORITY
    partial: bool = False

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if not isinstance(self.events, tuple) or len(self.events) > limits.MAX_BATCH_EVENTS:
            raise bad(
                "IngestUsage.events",
                len(self.events) if isinstance(self.events, tuple) else self.events,
                f"a tuple of at most {limits.MAX_BATCH_EVENTS:,} usage events",
                "batch of",
            )
        if not _events_plainly_fine(self.events):
            _check_each_event(self.events)


# A batch holds up to MAX_BATCH_EVENTS events, and checking them one by one in Python cost
# about a tenth of an ingested event's time (issue 7). So the common case, a batch of plain
# records that are all fine, is checked column by column in C loops (types by set(map(type)),
# ids by the id pattern, units by min/max, each distinct instant and customer once). Only a
# batch that fails those is walked event by event, which raises the first problem exactly as
# before, or passes (an int or str subclass, say, that the column check does not try to judge).
_EVENT_ID, _CUSTOMER = attrgetter("event_id"), attrgetter("customer_id")
_UNITS, _OCCURRED = attrgetter("units"), attrgetter("occurred_at")


def _events_plainly_fine(events: tuple[UsageEvent, ...]) -> bool:
    if not events:
        return True
    if set(map(type, events)) != {UsageEvent}:
        return False
    ids = list(map(_EVENT_ID, events))
    if set(map(type, ids)) != {str} or not all(map(ID_MATCH, ids)):
        return False
    units = list(map(_UNITS, events))
    if set(map(type, units)) != {int} or min(units) < 1 or max(units) >= limits.MAX_UNITS:
        return False
    instants = list(map(_OCCURRED, events))
    try:  # each distinct instant object once (a batch shares few); dict(zip) keeps C speed
        for at in dict(zip(map(id, instants), instants, strict=True)).values():
            check_instant(at, "events.occurred_at")
        for customer in set(map(_CUSTOMER, events)):
            check_id(customer, "events.customer_id")
    except (InputError, TypeError):  # TypeError: an unhashable customer id
        return False
    return True


def _check_each_event(events: tuple[UsageEvent, ...]) -> None:
    customers: set[str] = set()
    for ev in events:
        if not isinstance(ev, UsageEvent):
            raise bad("IngestUsage.events", ev, "UsageEvent records")
        check_id(ev.event_id, "events.event_id")
        check_int(ev.units, f"event {ev.event_id}.units", 1, limits.MAX_UNITS - 1)
        check_instant(ev.occurred_at, f"event {ev.event_id}.occurred_at")
        customers.add(ev.customer_id)
    for customer in customers:
        check_id(customer, "events.customer_id")


@dataclass(frozen=True, slots=True)
class FailUsage(Command):
    """A usage event failed; the policy decides by ``cause`` whether its credits come back."""

    tenant_id: str
    idempotency_key: str
    event_id: str
    cause: str
    at: datetime
    BUSINESS_KEYS = (("failure", "event_id"),)


@dataclass(frozen=True, slots=True)
class ExpireLots(Command):
    tenant_id: str
    idempotency_key: str
    as_of: datetime
    unit: str = CREDIT_UNIT


@dataclass(frozen=True, slots=True)
class ForfeitCredits(Command):
    tenant_id: str
    idempotency_key: str
    customer_id: str
    reason: ForfeitReason
    at: datetime
    unit: str = CREDIT_UNIT
    account_credit_currencies: tuple[str, ...] = ()
