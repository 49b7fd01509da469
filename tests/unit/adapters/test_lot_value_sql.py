"""The SQL that keeps a lot's deferred value on SQLite is exact over every value the limits
allow: SQLite would silently turn an overflowing product (price up to 10^18 times units up to
10^12) into a float, so ``lot_guards.exact_value_left`` splits it; here it is checked against
Python's unbounded integers (the rule ``CreditLot.take`` applies)."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from refundable.adapters.db.lot_guards import exact_value_left
from refundable.core.limits import MAX_AMOUNT_MINOR, MAX_UNITS

SQL = f"SELECT {exact_value_left(':rem', ':price', ':units')}, typeof({exact_value_left(':rem', ':price', ':units')})"  # noqa: E501


@st.composite
def lots(draw: st.DrawFn) -> tuple[int, int, int]:
    units = draw(st.integers(1, MAX_UNITS - 1))
    price = draw(st.integers(0, MAX_AMOUNT_MINOR - 1))
    remaining = draw(st.integers(0, units))
    return price, units, remaining


def _value(price: int, units: int, remaining: int) -> tuple[object, str]:
    conn = sqlite3.connect(":memory:")
    try:
        row = conn.execute(SQL, {"price": price, "units": units, "rem": remaining}).fetchone()
    finally:
        conn.close()
    return row[0], row[1]


@given(lots())
def test_value_left_is_exact_in_sqlite(lot: tuple[int, int, int]) -> None:
    price, units, remaining = lot
    assert _value(price, units, remaining) == (price * remaining // units, "integer")


def test_value_left_at_the_limits() -> None:
    top_price, top_units = MAX_AMOUNT_MINOR - 1, MAX_UNITS - 1
    for price, units, remaining in [
        (top_price, top_units, top_units),
        (top_price, top_units, top_units - 1),
        (top_price, top_units, 1),
        (top_units - 1, top_units, top_units - 1),  # the remainder term at its largest
        (0, top_units, top_units),
        (1, 3, 2),
    ]:
        assert _value(price, units, remaining) == (price * remaining // units, "integer")
