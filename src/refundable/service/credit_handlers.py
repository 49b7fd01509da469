"""Handlers for unit-credit commands: buy a lot, use credits (one event or a batch), fail a
usage event (with reinstatement), expire lots, forfeit credits. Same shape as the money
handlers; the batch path keeps its per-event work in memory (see ``ledger.usage``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from refundable.core.errors import Conflict, IdempotencyConflict, InputError
from refundable.core.time import require_aware
from refundable.ledger import accounts as chart
from refundable.ledger import credit_ops
from refundable.ledger.accounts import Kind, check_commodity, check_id
from refundable.ledger.entries import JournalEntry
from refundable.ledger.lots import CreditLot, LotPriority, LotStatus
from refundable.ledger.money_ops import forfeit_account_credit
from refundable.ledger.usage import BatchAllocation, UsageEvent, allocate_batch
from refundable.service import commands as c
from refundable.service.common import (
    Receipt,
    entry_id,
    finish,
    not_found,
    post_checked,
    replay,
    usage_entry_id,
)
from refundable.service.ports import LedgerStore, UnitOfWork

MAX_BATCH = 1_000_000  # a limit on everything: one transaction holds at most this many events
_PAID_FROM = {
    c.PaidFrom.wallet: Kind.wallet,
    c.PaidFrom.account_credit: Kind.account_credit,
    c.PaidFrom.invoice: Kind.receivable,
}


def buy_credit_lot(cmd: c.BuyCreditLot, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        if store.lots([check_id(cmd.lot_id, "lot_id")]):
            raise Conflict(f"lot {cmd.lot_id!r} already exists", where="lot_id")
        purchase = credit_ops.LotPurchase(
            cmd.lot_id,
            check_id(cmd.customer_id, "customer_id"),
            cmd.units,
            cmd.price,
            require_aware(cmd.valid_until, "valid_until"),
            cmd.source,
            _PAID_FROM[cmd.paid_from],
            cmd.priority,
            check_commodity(cmd.unit, "unit"),
        )
        lot, e = credit_ops.buy_lot(
            entry_id(cmd.tenant_id, cmd.idempotency_key), cmd.tenant_id, purchase, cmd.at
        )
        post_checked(store, [e], cmd.idempotency_key)
        store.add_lots([lot], e.entry_id)
        return finish(uow, store, cmd, [e], cmd.lot_id)


def _new_events(store: LedgerStore, events: Sequence[UsageEvent]) -> tuple[list[UsageEvent], int]:
    """Events not stored yet (first occurrence in the batch wins); a known id with another
    payload is refused, the same payload is a harmless duplicate."""
    seen: dict[str, UsageEvent] = {}
    for ev in events:
        first = seen.setdefault(ev.event_id, ev)
        if first != ev:
            raise IdempotencyConflict(
                f"usage event {ev.event_id!r} appears twice with different contents",
                where=f"event {ev.event_id}",
            )
    known = store.known_events(list(seen))
    fresh: list[UsageEvent] = []
    for event_id, ev in seen.items():
        stored = known.get(event_id)
        if stored is None:
            fresh.append(ev)
        elif stored != (ev.customer_id, ev.units):
            raise IdempotencyConflict(
                f"usage event {event_id!r} was recorded as {stored[1]} units for {stored[0]}",
                where=f"event {event_id}",
                allowed="resend it unchanged, or use a new event id",
            )
    return fresh, len(events) - len(fresh)


def _validate(events: Sequence[UsageEvent]) -> None:
    """Cheap per-event checks (the hot path); ids of customers are checked once each."""
    if len(events) > MAX_BATCH:
        raise InputError(
            f"{len(events)} events in one batch",
            where="events",
            allowed=f"at most {MAX_BATCH:,} per batch",
        )
    customers: set[str] = set()
    for ev in events:
        if not isinstance(ev, UsageEvent) or ev.occurred_at.tzinfo is None:
            raise InputError(
                f"event {ev!r} is not a UsageEvent with an aware occurred_at", where="events"
            )
        if not ev.event_id or len(ev.event_id) > 200 or not isinstance(ev.event_id, str):
            raise InputError(
                f"event id {ev.event_id!r}",
                where="events.event_id",
                allowed="a non-empty string of at most 200 characters",
            )
        customers.add(ev.customer_id)
    for cust in customers:
        check_id(cust, "event.customer_id")


def ingest(
    store: LedgerStore,
    tenant_id: str,
    events: Sequence[UsageEvent],
    at: datetime,
    unit: str,
    priority: LotPriority,
    partial: bool,
) -> tuple[list[JournalEntry], BatchAllocation, int]:
    """Allocate new events to lots and write entries, lot state and traceability rows."""
    _validate(events)
    # Lock first, then look for known events: a concurrent batch of the same customers has
    # committed by the time the lock is granted, so its events are seen as duplicates here.
    customers = sorted({ev.customer_id for ev in events})
    lots = store.lock_lots(customers, check_commodity(unit, "unit"))
    fresh, duplicates = _new_events(store, events)
    batch = allocate_batch(lots, fresh, priority, partial)
    first_event: dict[str, str] = {}
    for ev in batch.accepted:
        first_event.setdefault(ev.customer_id, ev.event_id)
    entries: list[JournalEntry] = []
    entry_of: dict[str, str] = {}
    for customer, draws in batch.draws.items():
        eid = entry_of[customer] = usage_entry_id(tenant_id, first_event[customer])
        entries.append(
            credit_ops.usage_entry(
                eid,
                tenant_id,
                customer,
                {x.lot_id: x for x in lots[customer]},
                draws,
                at,
                f"usage batch from {first_event[customer]}",
            )
        )
    post_checked(store, entries, None)
    store.save_lots(batch.lots)
    store.add_usage(batch.accepted, entry_of, batch.allocations)
    return entries, batch, duplicates


def consume_credits(cmd: c.ConsumeCredits, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        ev = UsageEvent(check_id(cmd.event_id, "event_id"), cmd.customer_id, cmd.units, cmd.at)
        entries, batch, duplicates = ingest(
            store, cmd.tenant_id, [ev], cmd.at, cmd.unit, cmd.priority, False
        )
        if duplicates:
            raise Conflict(
                f"usage event {cmd.event_id!r} was already recorded",
                where="event_id",
                allowed="a new event id",
            )
        drawn = ",".join(f"{a.lot_id}:{a.units}" for a in batch.allocations)
        return finish(uow, store, cmd, entries, cmd.event_id, {"lots": drawn})


def ingest_usage(cmd: c.IngestUsage, uow: UnitOfWork) -> Receipt:
    """Idempotent per event id: no key claim, the event table is the idempotency record."""
    check_id(cmd.tenant_id, "tenant_id")
    require_aware(cmd.at, "at")
    with uow:
        store = uow.ledger(cmd.tenant_id)
        entries, batch, duplicates = ingest(
            store, cmd.tenant_id, cmd.events, cmd.at, cmd.unit, cmd.priority, cmd.partial
        )
        uow.commit()
    details = {
        "accepted": str(len(batch.accepted)),
        "duplicates": str(duplicates),
        "rejected": str(len(batch.rejected)),
    }
    if batch.rejected:
        details["rejected_ids"] = ",".join(ev.event_id for ev, _ in batch.rejected)
    return Receipt("IngestUsage", "", tuple(e.entry_id for e in entries), None, details)


def fail_usage(cmd: c.FailUsage, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        event = store.usage_event(cmd.event_id)
        if event is None:
            raise not_found("usage event", cmd.event_id)
        if store.failure_of(cmd.event_id) is not None:
            raise Conflict(
                f"usage event {cmd.event_id!r} is already marked failed", where="event_id"
            )
        entries: list[JournalEntry] = []
        if cmd.reinstate:
            allocations = store.allocations_of(cmd.event_id)
            originals = store.lots([a.lot_id for a in allocations])
            new_lots, e = credit_ops.reinstate(
                entry_id(cmd.tenant_id, cmd.idempotency_key),
                cmd.tenant_id,
                event.customer_id,
                cmd.event_id,
                allocations,
                originals,
                cmd.at,
                cmd.valid_until,
            )
            entries.append(e)
            post_checked(store, entries, cmd.idempotency_key)
            store.add_lots(new_lots, e.entry_id)
        store.add_failure(
            cmd.event_id, cmd.cause, cmd.reinstate, entries[0].entry_id if entries else None, cmd.at
        )
        return finish(uow, store, cmd, entries, cmd.event_id)


def _lapse_all(
    store: LedgerStore,
    tenant_id: str,
    key: str,
    lots: Sequence[CreditLot],
    at: datetime,
    status: LotStatus,
) -> tuple[list[JournalEntry], list[CreditLot]]:
    by_customer: dict[str, list[CreditLot]] = defaultdict(list)
    for lot in lots:
        by_customer[lot.customer_id].append(lot)
    entries: list[JournalEntry] = []
    closed: list[CreditLot] = []
    for n, (customer, group) in enumerate(sorted(by_customer.items())):
        done, e = credit_ops.lapse(
            entry_id(tenant_id, key, n), tenant_id, group, at, f"{status.value} {customer}", status
        )
        closed += done
        if e is not None:
            entries.append(e)
    return entries, closed


def expire_lots(cmd: c.ExpireLots, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        lots = store.lock_expiring(require_aware(cmd.as_of, "as_of"), cmd.unit)
        entries, closed = _lapse_all(
            store, cmd.tenant_id, cmd.idempotency_key, lots, cmd.as_of, LotStatus.expired
        )
        post_checked(store, entries, cmd.idempotency_key)
        store.save_lots(closed)
        return finish(uow, store, cmd, entries, None, {"lots": str(len(closed))})


def forfeit_credits(cmd: c.ForfeitCredits, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        customer = check_id(cmd.customer_id, "customer_id")
        lots = store.lock_lots([customer], cmd.unit)[customer]
        entries, closed = _lapse_all(
            store, cmd.tenant_id, cmd.idempotency_key, lots, cmd.at, LotStatus.forfeited
        )
        keys = {
            cur: chart.account_credit(customer, check_commodity(cur))
            for cur in cmd.account_credit_currencies
        }
        balances = store.lock_balances(keys.values())
        for n, (cur, key) in enumerate(sorted(keys.items()), start=len(entries) + 1):
            e = forfeit_account_credit(
                entry_id(cmd.tenant_id, cmd.idempotency_key, n),
                cmd.tenant_id,
                customer,
                cur,
                balances[key],
                cmd.at,
                customer,
                cmd.reason.value,
            )
            if e is not None:
                entries.append(e)
        post_checked(store, entries, cmd.idempotency_key)
        store.save_lots(closed)
        return finish(uow, store, cmd, entries, customer, {"lots": str(len(closed))})
