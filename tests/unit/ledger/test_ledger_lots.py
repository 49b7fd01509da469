"""Credit lots: FEFO with priority, expiry, value recognition, batch allocation."""

from datetime import datetime, timedelta

import pytest

from refundable.core.errors import InputError, InsufficientFunds, LotExpired
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger.accounts import Kind
from refundable.ledger.credit_ops import Allocation, LotPurchase, buy_lot, lapse, reinstate
from refundable.ledger.lots import (
    CreditLot,
    LotPriority,
    LotSource,
    LotStatus,
    allocate,
    expiring,
    fefo_order,
)
from refundable.ledger.usage import UsageEvent, allocate_batch

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def lot(
    lot_id: str,
    units: int,
    days: int,
    source: LotSource = LotSource.purchase,
    price: int = 0,
    acquired: int = 0,
    priority: int = 0,
) -> CreditLot:
    return CreditLot(
        lot_id,
        "t1",
        "C1",
        "MSGCR",
        units,
        units,
        price,
        "ZAR",
        price,
        T0 + timedelta(days=days),
        source,
        T0 + timedelta(hours=acquired),
        priority,
    )


def test_promotional_before_paid_then_soonest_to_expire_then_oldest() -> None:
    lots = [
        lot("paid-late", 10, 30),
        lot("paid-soon", 10, 5),
        lot("promo", 10, 60, LotSource.promotion),
        lot("paid-soon-newer", 10, 5, acquired=2),
    ]
    assert [x.lot_id for x in fefo_order(lots)] == [
        "promo",
        "paid-soon",
        "paid-soon-newer",
        "paid-late",
    ]


def test_priority_is_configurable() -> None:
    lots = [lot("promo", 10, 60, LotSource.promotion), lot("paid", 10, 5)]
    paid_first = LotPriority((LotSource.purchase, LotSource.promotion))
    assert [x.lot_id for x in fefo_order(lots, paid_first)] == ["paid", "promo"]


def test_allocate_spans_lots_in_order_and_leaves_inputs_untouched() -> None:
    lots = [lot("a", 10, 30), lot("b", 10, 5)]
    after, draws = allocate(lots, 15, T0)
    assert [(d.lot_id, d.units) for d in draws] == [("b", 10), ("a", 5)]
    assert [x.remaining for x in after] == [5, 0] and lots[0].remaining == 10
    assert after[1].status is LotStatus.exhausted


def test_expired_lot_is_never_spent() -> None:
    lots = [lot("old", 10, 1), lot("new", 5, 30)]
    _, draws = allocate(lots, 5, T0 + timedelta(days=2))
    assert [d.lot_id for d in draws] == ["new"]
    with pytest.raises(LotExpired, match="expired"):
        allocate(lots, 8, T0 + timedelta(days=2))


def test_overdraw_is_refused() -> None:
    with pytest.raises(InsufficientFunds, match="12 credits needed, 10 available"):
        allocate([lot("a", 10, 30)], 12, T0)
    with pytest.raises(InputError):
        allocate([lot("a", 10, 30)], 0, T0)


def test_recognised_value_adds_up_exactly_to_the_price() -> None:
    current = lot("a", 3, 30, price=100)
    total = 0
    for _ in range(3):
        current, value = current.take(1)
        total += value
    assert total == 100 and current.value_left_minor == 0


def test_batch_allocation_matches_one_by_one_allocation() -> None:
    lots = [lot("a", 7, 30, price=70), lot("b", 5, 3, price=11), lot("p", 4, 60, LotSource.trial)]
    events = [UsageEvent(f"e{i}", "C1", 1 + i % 3, T0 + timedelta(days=i)) for i in range(6)]
    batch = allocate_batch({"C1": lots}, events)
    state = list(lots)
    expected = []
    for ev in events:
        state, draws = allocate(state, ev.units, ev.occurred_at)
        expected += [Allocation(ev.event_id, d.lot_id, d.units, d.value_minor) for d in draws]
    assert batch.allocations == expected
    by_id = {x.lot_id: x for x in state}
    assert all(by_id[x.lot_id] == x for x in batch.lots)


def test_batch_refuses_or_rejects_uncoverable_events() -> None:
    events = [
        UsageEvent("e1", "C1", 5, T0),
        UsageEvent("e2", "C1", 50, T0),
        UsageEvent("e3", "C2", 1, T0),
    ]
    with pytest.raises(InsufficientFunds):
        allocate_batch({"C1": [lot("a", 10, 30)]}, events)
    batch = allocate_batch({"C1": [lot("a", 10, 30)]}, events, partial=True)
    assert [e.event_id for e in batch.accepted] == ["e1"]
    assert [e.event_id for e, _ in batch.rejected] == ["e2", "e3"]


def test_buy_lot_entry_and_refusals() -> None:
    p = LotPurchase(
        "L1",
        "C1",
        1000,
        Money.of("150", "ZAR"),
        T0 + timedelta(days=30),
        LotSource.purchase,
        Kind.wallet,
    )
    new, e = buy_lot("e1", "t1", p, T0)
    assert new.remaining == 1000 and new.value_left_minor == 15000
    assert sorted(line.amount for line in e.lines) == [-15000, -1000, 1000, 15000]
    with pytest.raises(InputError, match="valid only until"):
        buy_lot(
            "e1",
            "t1",
            LotPurchase("L1", "C1", 10, Money.of("1", "ZAR"), T0, LotSource.purchase, Kind.wallet),
            T0,
        )
    with pytest.raises(InputError, match="price"):
        buy_lot(
            "e1",
            "t1",
            LotPurchase(
                "L1",
                "C1",
                10,
                Money.of("0", "ZAR"),
                T0 + timedelta(days=1),
                LotSource.purchase,
                Kind.wallet,
            ),
            T0,
        )
    with pytest.raises(InputError, match="units"):
        buy_lot(
            "e1",
            "t1",
            LotPurchase(
                "L1",
                "C1",
                -1,
                Money.of("1", "ZAR"),
                T0 + timedelta(days=1),
                LotSource.purchase,
                Kind.wallet,
            ),
            T0,
        )


def test_lapse_moves_units_and_value_to_breakage() -> None:
    lots = [lot("a", 10, 1, price=500)]
    assert expiring(lots, T0 + timedelta(days=1)) == lots
    closed, e = lapse("e1", "t1", lots, T0 + timedelta(days=1), "x", LotStatus.expired)
    assert closed[0].status is LotStatus.expired and closed[0].remaining == 0
    assert e is not None
    assert {line.account.code: line.amount for line in e.lines}["breakage/ZAR"] == -500


def test_reinstatement_creates_a_new_lot_with_the_drawn_value() -> None:
    orig = lot("a", 10, 30, price=1000)
    new, _ = reinstate(
        "e1", "t1", "C1", "ev1", [Allocation("ev1", "a", 3, 300)], {"a": orig}, T0, None
    )
    assert new[0].source is LotSource.reinstatement and new[0].units == 3
    assert new[0].price_minor == 300 and new[0].valid_until == orig.valid_until
    with pytest.raises(InputError, match="already be expired"):
        reinstate(
            "e1",
            "t1",
            "C1",
            "ev1",
            [Allocation("ev1", "a", 3, 300)],
            {"a": orig},
            T0 + timedelta(days=31),
            None,
        )
