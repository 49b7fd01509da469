"""The bounded column types check every bound value through their own bind processors
(``types._direct``), which skip SQLAlchemy's wrapper: for any value, the processor of each
store's dialect accepts exactly what ``process_bind_param`` accepts, returns it unchanged,
and refuses the rest with the same error."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from refundable.adapters.db.types import BoundedInt, BoundedInt32, BoundedString
from refundable.core.errors import LimitExceeded


class Colour(StrEnum):
    red = "red"
    crimson = "crimson-red"


DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]  # type: ignore[no-untyped-call]
TYPES = [BoundedString(5, "name"), BoundedInt(-3, 7, "count"), BoundedInt32(0, 2, "priority")]
VALUES = st.one_of(
    st.none(),
    st.text(max_size=9),
    st.sampled_from(list(Colour)),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
)


def _outcome(call: Any, value: Any) -> tuple[str, Any]:
    try:
        return "kept", call(value)
    except LimitExceeded as err:
        return "refused", (str(err), err.where, err.allowed)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize("column", TYPES, ids=lambda c: type(c).__name__)
@given(value=VALUES)
def test_the_processor_decides_as_process_bind_param(dialect: Any, column: Any, value: Any) -> None:
    if isinstance(column, BoundedInt) and isinstance(value, str):
        return  # a text value for an integer column fails in the driver, on both paths
    process = column.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    fast = _outcome(process, value)
    plain = _outcome(lambda v: column.process_bind_param(v, dialect), value)
    assert fast == plain
    if fast[0] == "kept":
        assert fast[1] is value


def test_the_bounds_are_the_edges() -> None:
    text = BoundedString(5, "name").bind_processor(sqlite.dialect())
    count = BoundedInt(-3, 7, "count").bind_processor(sqlite.dialect())
    assert text is not None and count is not None
    assert text("abcde") == "abcde" and count(-3) == -3 and count(7) == 7
    for bad in ("abcdef", Colour.crimson):
        with pytest.raises(LimitExceeded):
            text(bad)
    for bad in (-4, 8):
        with pytest.raises(LimitExceeded):
            count(bad)
