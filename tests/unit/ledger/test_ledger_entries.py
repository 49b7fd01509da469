"""Entries: balancing per commodity, reversal, accounts and the chart."""

from datetime import datetime

import pytest

from refundable.core.errors import CurrencyError, ImmutableEntry, InputError, InvariantBroken
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import AccountKey, Kind
from refundable.ledger.entries import EntryKind, JournalEntry, Line, entry, reverse
from refundable.ledger.money_ops import charge

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
WALLET = chart.wallet("C1", "ZAR")
CLEARING = chart.clearing("stripe", "ZAR")


def test_charge_debits_receivable_and_credits_revenue() -> None:
    e = charge("e1", "t1", "C1", Money.of("99.95", "ZAR"), T0, "inv-1")
    assert [(line.account.code, line.amount) for line in e.lines] == [
        ("receivable/C1/ZAR", 9995),
        ("revenue/ZAR", -9995),
    ]
    assert e.kind is EntryKind.charge and e.ref == "inv-1"


def test_unbalanced_entry_is_a_bug_not_a_user_error() -> None:
    from refundable.core.errors import status_of

    with pytest.raises(InvariantBroken, match="does not balance") as info:
        JournalEntry("e1", "t1", EntryKind.charge, T0, (Line(WALLET, 100), Line(CLEARING, -99)))
    assert not isinstance(info.value, InputError)
    assert (status_of(info.value).http, status_of(info.value).exit_code) == (500, 70)


def test_mixed_currencies_in_one_entry_are_refused() -> None:
    usd = chart.clearing("stripe", "USD")
    with pytest.raises(InvariantBroken, match="does not balance"):
        JournalEntry("e1", "t1", EntryKind.charge, T0, (Line(WALLET, 100), Line(usd, -100)))


def test_balances_per_commodity_with_units_and_money_together() -> None:
    lots = chart.credit_lots("C1")
    issued = chart.tenant_account(Kind.credits_issued, "MSGCR")
    e = JournalEntry(
        "e1",
        "t1",
        EntryKind.lot_purchase,
        T0,
        (Line(issued, 500), Line(lots, -500, "L1"), Line(WALLET, 1000), Line(CLEARING, -1000)),
    )
    assert e.deltas()[lots] == -500


def test_entry_needs_two_lines_and_no_zero_line() -> None:
    with pytest.raises(InvariantBroken):
        JournalEntry("e1", "t1", EntryKind.fee, T0, (Line(WALLET, 0),))
    with pytest.raises(InvariantBroken, match="zero"):
        JournalEntry(
            "e1",
            "t1",
            EntryKind.fee,
            T0,
            (Line(WALLET, 0), Line(CLEARING, 0), Line(WALLET, 1), Line(CLEARING, -1)),
        )


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(InputError, match="timezone"):
        entry("e1", "t1", EntryKind.fee, datetime(2026, 1, 1), [(WALLET, CLEARING, 1)])  # noqa: DTZ001


def test_reversal_mirrors_lines_and_links_original() -> None:
    original = charge("e1", "t1", "C1", Money.of("10", "ZAR"), T0, "inv-1")
    rev = reverse(original, "e2", T0)
    assert rev.reverses == "e1" and rev.kind is EntryKind.reversal
    assert [line.amount for line in rev.lines] == [-line.amount for line in original.lines]


def test_reversal_refused_twice_and_of_a_reversal_and_of_lot_moves() -> None:
    original = charge("e1", "t1", "C1", Money.of("10", "ZAR"), T0, "inv-1")
    with pytest.raises(ImmutableEntry, match="already reversed"):
        reverse(original, "e2", T0, already_reversed=True)
    with pytest.raises(ImmutableEntry, match="itself a reversal"):
        reverse(reverse(original, "e2", T0), "e3", T0)
    lots = chart.credit_lots("C1")
    issued = chart.tenant_account(Kind.credits_issued, "MSGCR")
    lot_move = JournalEntry(
        "e4", "t1", EntryKind.lot_purchase, T0, (Line(issued, 5), Line(lots, -5, "L1"))
    )
    with pytest.raises(ImmutableEntry, match="credit lots"):
        reverse(lot_move, "e5", T0)


def test_account_codes_round_trip_and_check_commodity() -> None:
    revenue = chart.tenant_account(Kind.revenue, "USD")
    for key in (WALLET, CLEARING, chart.credit_lots("C1"), revenue):
        assert AccountKey.parse(key.code) == key
    with pytest.raises(CurrencyError, match="unknown commodity"):
        chart.wallet("C1", "XXX")
    with pytest.raises(CurrencyError, match="cannot hold"):
        AccountKey(Kind.wallet, "MSGCR", "C1")
    with pytest.raises(InputError, match="needs owner"):
        AccountKey(Kind.wallet, "ZAR")


def test_wallet_natural_balance_reads_positive_when_credited() -> None:
    assert WALLET.natural(-1500) == 1500 and WALLET.floor == 0
    assert CLEARING.natural(1500) == 1500 and CLEARING.floor is None


def test_amounts_must_be_positive_and_fit_the_minor_unit() -> None:
    with pytest.raises(InputError, match="positive"):
        charge("e1", "t1", "C1", Money.of("0", "ZAR"), T0, "inv")
    with pytest.raises(InputError, match="positive"):
        charge("e1", "t1", "C1", Money.of("-5", "ZAR"), T0, "inv")
    with pytest.raises(InputError, match="decimals"):
        charge("e1", "t1", "C1", Money.of("1.005", "ZAR"), T0, "inv")
    with pytest.raises(InputError, match="float"):
        Money.of(1.5, "ZAR")


def test_bus_gives_up_with_a_conflict_after_bounded_retries() -> None:
    from refundable.core.errors import Conflict
    from refundable.service import commands as c
    from refundable.service.bus import LedgerBus
    from refundable.service.ports import Retry

    attempts = []

    class AlwaysConflicting:
        def __enter__(self) -> "AlwaysConflicting":
            attempts.append(1)
            raise Retry("simulated deadlock")

        def __exit__(self, *exc: object) -> None:
            return None

    from refundable.core.time import FixedClock
    from refundable.service.catalog import PolicyCatalog

    bus = LedgerBus(AlwaysConflicting, PolicyCatalog(), FixedClock(T0), max_attempts=3)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="gave up after 3 attempts"):
        bus.handle(c.RecordCharge("t1", "k", "i1", "C1", Money.of("1", "ZAR"), T0))
    assert len(attempts) == 3
