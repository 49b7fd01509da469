"""The batch allocator against the simplest model: ``lots.allocate`` one event at a time.

``allocate_batch`` keeps its per-event work small (issue 7, ADR 0064): a fast path for the
first lot with credits left, a head pointer, allocations as plain tuples, and a batch's draw
per lot taken as start minus end rather than summed per event. For any lots (prices that do
not divide, expiries before and after the events, several customers) and any events (units
that span lots, some that cannot be covered), it must give the same allocations, the same lot
states, draws equal to the per-event sums, and the same accepted / rejected events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from refundable.core.errors import InsufficientFunds, LotExpired
from refundable.core.time import UTC
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.lots import CreditLot, LotSource, allocate
from refundable.ledger.usage import UsageEvent, allocate_batch

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CUSTOMERS = ("C1", "C2")


@st.composite
def lots_of(draw: st.DrawFn, customer: str) -> list[CreditLot]:
    out = []
    for n in range(draw(st.integers(0, 4))):
        units = draw(st.integers(1, 12))
        price = draw(st.integers(0, 1000))
        source = draw(st.sampled_from([LotSource.purchase, LotSource.promotion]))
        until = T0 + timedelta(hours=draw(st.integers(1, 30)))
        acquired = T0 - timedelta(hours=draw(st.integers(0, 5)))
        fresh = CreditLot.fresh(
            f"{customer}-{n}", "t1", customer, "MSGCR", units, price, "ZAR", until, source,
            acquired, draw(st.integers(0, 1)),
        )  # fmt: skip
        left = draw(st.integers(1, units))  # some lots were partly used before the batch
        out.append(replace(fresh, remaining=left, value_left_minor=price * left // units))
    return out


events_st = st.lists(
    st.tuples(st.sampled_from(CUSTOMERS), st.integers(1, 9), st.integers(0, 40)),
    max_size=40,
)


def one_by_one(
    lots: dict[str, list[CreditLot]], events: list[UsageEvent]
) -> tuple[list[Allocation], dict[str, list[CreditLot]], list[str], list[str]]:
    state = {c: list(x) for c, x in lots.items()}
    allocations: list[Allocation] = []
    accepted: list[str] = []
    rejected: list[str] = []
    for ev in events:
        try:
            state[ev.customer_id], draws = allocate(state[ev.customer_id], ev.units, ev.occurred_at)
        except (InsufficientFunds, LotExpired):
            rejected.append(ev.event_id)
            continue
        accepted.append(ev.event_id)
        allocations += [Allocation(ev.event_id, d.lot_id, d.units, d.value_minor) for d in draws]
    return allocations, state, accepted, rejected


@settings(max_examples=300, deadline=None)
@given(st.tuples(*(lots_of(c) for c in CUSTOMERS)), events_st)
def test_the_batch_allocates_exactly_as_one_event_at_a_time(
    lots_by: tuple[list[CreditLot], ...], specs: list[tuple[str, int, int]]
) -> None:
    lots = dict(zip(CUSTOMERS, lots_by, strict=True))
    events = [
        UsageEvent(f"e{i}", customer, units, T0 + timedelta(hours=hour))
        for i, (customer, units, hour) in enumerate(specs)
    ]
    batch = allocate_batch(lots, events, partial=True)
    allocations, state, accepted, rejected = one_by_one(lots, events)

    assert list(batch.allocations) == allocations
    assert [e.event_id for e in batch.accepted] == accepted
    assert [e.event_id for e, _ in batch.rejected] == rejected
    after = {x.lot_id: x for group in state.values() for x in group}
    before = {x.lot_id: x for group in lots.values() for x in group}
    assert {x.lot_id: x for x in batch.lots} == {
        k: v for k, v in after.items() if v != before[k]
    }  # exactly the lots that changed, in their state after the batch
    summed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in allocations:
        summed[a.lot_id][0] += a.units
        summed[a.lot_id][1] += a.value_minor
    drawn = {d.lot_id: [d.units, d.value_minor] for ds in batch.draws.values() for d in ds}
    assert drawn == dict(summed)
