"""Handlers for unit-credit commands: buy a lot, use credits (one event or a batch), fail a
usage event (reinstating by the policy's causes), expire lots, forfeit credits. Lot validity
and reinstatement come from the policy in force; the batch path keeps its per-event work in
memory (see ``ledger.usage``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

from refundable.core.errors import Conflict, IdempotencyConflict
from refundable.ledger import accounts as chart
from refundable.ledger import credit_ops
from refundable.ledger.accounts import Kind
from refundable.ledger.entries import JournalEntry
from refundable.ledger.lots import CreditLot, LotPriority, LotStatus
from refundable.ledger.money_ops import forfeit_account_credit
from refundable.ledger.usage import BatchAllocation, UsageEvent, allocate_batch
from refundable.scheduling.model import expiry_actions
from refundable.service import commands as c
from refundable.service import policy_rules as rules
from refundable.service.common import Context, Detail, Done, not_found, usage_entry_id
from refundable.service.ports import Repositories

_EVENT_ID, _CUSTOMER = attrgetter("event_id"), attrgetter("customer_id")
_PAID_FROM = {
    c.PaidFrom.wallet: Kind.wallet,
    c.PaidFrom.account_credit: Kind.account_credit,
    c.PaidFrom.invoice: Kind.receivable,
}


def buy_credit_lot(cmd: c.BuyCreditLot, ctx: Context) -> Done:
    valid_until = rules.credit_valid_until(ctx.policy(cmd.at), cmd.at)
    purchase = credit_ops.LotPurchase(
        cmd.lot_id, cmd.customer_id, cmd.units, cmd.price, valid_until, cmd.source,
        _PAID_FROM[cmd.paid_from], cmd.priority, cmd.unit,
    )  # fmt: skip
    lot, e = credit_ops.buy_lot(ctx.entry_id(), cmd.tenant_id, purchase, cmd.at)
    ctx.post([e])
    ctx.repos.lots.add([lot], e.entry_id)
    ctx.repos.schedule.add(expiry_actions(cmd.tenant_id, [lot]))
    return Done.of([e], cmd.lot_id, {Detail.valid_until: valid_until.isoformat()})


def _new_events(repos: Repositories, events: Sequence[UsageEvent]) -> tuple[list[UsageEvent], int]:
    """Events not stored yet (first occurrence in the batch wins); a known id with another
    payload is refused, the same payload is a harmless duplicate."""
    seen = dict(zip(map(_EVENT_ID, events), events, strict=True))  # C speed: no id repeated...
    if len(seen) < len(events):  # ...or some are: the first occurrence wins, and must match
        seen = {}
        for ev in events:
            first = seen.setdefault(ev.event_id, ev)
            if first != ev:
                raise IdempotencyConflict(
                    f"usage event {ev.event_id!r} appears twice with different contents",
                    where=f"event {ev.event_id}",
                )
    known = repos.usage.known(list(seen))
    if not known:  # the usual batch: all new
        return list(seen.values()), len(events) - len(seen)
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


def ingest(
    ctx: Context,
    events: Sequence[UsageEvent],
    at: datetime,
    unit: str,
    priority: LotPriority,
    partial: bool,
) -> tuple[list[JournalEntry], BatchAllocation, int]:
    """Allocate new events to lots and write entries, lot state and traceability rows."""
    repos, tenant_id = ctx.repos, ctx.tenant_id
    # Lock first, then look for known events: a concurrent batch of the same customers has
    # committed by the time the lock is granted, so its events are seen as duplicates here.
    lots = repos.lots.lock_open(sorted(set(map(_CUSTOMER, events))), unit)
    fresh, duplicates = _new_events(repos, events)
    batch = allocate_batch(lots, fresh, priority, partial)
    # Each customer's first accepted event: the last write of a dict built from the events in
    # reverse order wins (a C loop, where setdefault per event cost 0.1 µs).
    backwards = batch.accepted[::-1]
    first_event = dict(zip(map(_CUSTOMER, backwards), map(_EVENT_ID, backwards), strict=True))
    entries: list[JournalEntry] = []
    entry_of: dict[str, str] = {}
    for customer, draws in batch.draws.items():
        eid = entry_of[customer] = usage_entry_id(tenant_id, first_event[customer])
        by_id = {x.lot_id: x for x in lots[customer]}
        memo = f"usage batch from {first_event[customer]}"
        entries.append(credit_ops.usage_entry(eid, tenant_id, customer, by_id, draws, at, memo))
    ctx.post(entries)
    repos.lots.save(batch.lots)
    repos.usage.add(batch.accepted, entry_of, batch.allocations)
    return entries, batch, duplicates


def consume_credits(cmd: c.ConsumeCredits, ctx: Context) -> Done:
    ev = UsageEvent(cmd.event_id, cmd.customer_id, cmd.units, cmd.at)
    entries, batch, duplicates = ingest(ctx, [ev], cmd.at, cmd.unit, cmd.priority, False)
    if duplicates:
        raise Conflict(
            f"usage event {cmd.event_id!r} was already recorded",
            where="event_id",
            allowed="a new event id",
        )
    drawn = ",".join(f"{a.lot_id}:{a.units}" for a in batch.allocations)
    return Done.of(entries, cmd.event_id, {Detail.lots: drawn})


def ingest_usage(cmd: c.IngestUsage, ctx: Context) -> Done:
    """Idempotent per event id: the event table is the idempotency record."""
    entries, batch, duplicates = ingest(
        ctx, cmd.events, cmd.at, cmd.unit, cmd.priority, cmd.partial
    )
    details = {
        Detail.accepted: str(len(batch.accepted)),
        Detail.duplicates: str(duplicates),
        Detail.rejected: str(len(batch.rejected)),
    }
    if batch.rejected:
        details[Detail.rejected_ids] = ",".join(ev.event_id for ev, _ in batch.rejected)
    return Done.of(entries, None, details)


def fail_usage(cmd: c.FailUsage, ctx: Context) -> Done:
    event = ctx.repos.usage.get(cmd.event_id)
    if event is None:
        raise not_found("usage event", cmd.event_id)
    reinstate = rules.reinstates_on_failure(ctx.policy(cmd.at), cmd.cause)
    entries: list[JournalEntry] = []
    if reinstate:
        allocations = ctx.repos.usage.allocations_of(cmd.event_id)
        originals = ctx.repos.lots.get([a.lot_id for a in allocations])
        new_lots, e = credit_ops.reinstate(
            ctx.entry_id(), cmd.tenant_id, event.customer_id, cmd.event_id, allocations,
            originals, cmd.at, None,
        )  # fmt: skip
        entries.append(e)
        ctx.post(entries)
        ctx.repos.lots.add(new_lots, e.entry_id)
        ctx.repos.schedule.add(expiry_actions(ctx.tenant_id, new_lots))
    first = entries[0].entry_id if entries else None
    ctx.repos.usage.add_failure(cmd.event_id, cmd.cause, reinstate, first, cmd.at)
    return Done.of(entries, cmd.event_id, {Detail.reinstated: str(reinstate).lower()})


def _lapse_all(
    ctx: Context, lots: Sequence[CreditLot], at: datetime, status: LotStatus
) -> tuple[list[JournalEntry], list[CreditLot]]:
    by_customer: dict[str, list[CreditLot]] = defaultdict(list)
    for lot in lots:
        by_customer[lot.customer_id].append(lot)
    entries: list[JournalEntry] = []
    closed: list[CreditLot] = []
    for n, (customer, group) in enumerate(sorted(by_customer.items())):
        done, e = credit_ops.lapse(
            ctx.entry_id(n), ctx.tenant_id, group, at, f"{status.value} {customer}", status
        )
        closed += done
        if e is not None:
            entries.append(e)
    return entries, closed


def expire_lots(cmd: c.ExpireLots, ctx: Context) -> Done:
    return expire_due(ctx, cmd.as_of, cmd.unit)


def expire_due(ctx: Context, as_of: datetime, unit: str, limit: int | None = None) -> Done:
    """Expire the lots due by ``as_of`` (at most ``limit``, by lot id: a bounded batch)."""
    lots = ctx.repos.lots.lock_expiring(as_of, unit, limit)
    entries, closed = _lapse_all(ctx, lots, as_of, LotStatus.expired)
    ctx.post(entries)
    ctx.repos.lots.save(closed)
    return Done.of(entries, None, {Detail.lots: str(len(closed))})


def forfeit_credits(cmd: c.ForfeitCredits, ctx: Context) -> Done:
    customer = cmd.customer_id
    lots = ctx.repos.lots.lock_open([customer], cmd.unit)[customer]
    entries, closed = _lapse_all(ctx, lots, cmd.at, LotStatus.forfeited)
    keys = {
        cur: chart.account_credit(customer, chart.check_commodity(cur))
        for cur in cmd.account_credit_currencies
    }
    balances = ctx.repos.journal.lock_balances(keys.values())
    for n, (cur, key) in enumerate(sorted(keys.items()), start=len(entries) + 1):
        e = forfeit_account_credit(
            ctx.entry_id(n), cmd.tenant_id, customer, cur, balances[key], cmd.at, customer,
            cmd.reason.value,
        )  # fmt: skip
        if e is not None:
            entries.append(e)
    ctx.post(entries)
    ctx.repos.lots.save(closed)
    return Done.of(entries, customer, {Detail.lots: str(len(closed))})
