"""Column types that refuse, before the database sees it, a value the limits do not allow.

The limits (``core.limits``) are checked where input enters; these types are the second path
at the storage boundary (TIGER_STYLE: assert on two paths). Without them the two stores
disagreed: an over-long id was a ``DataError`` on PostgreSQL and silently stored on SQLite; an
amount of 2^63 was a ``DataError`` on PostgreSQL and an ``OverflowError`` on SQLite. With them
both raise the same :class:`LimitExceeded` (an ``InputError``) and nothing is written. The
engine's ``handle_error`` hook (``errors.translate``) unwraps it from SQLAlchemy's
``StatementError``. ADR 0034.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import BigInteger, ColumnElement, Dialect, Integer, String, func
from sqlalchemy.types import TypeDecorator

from refundable.core.errors import LimitExceeded
from refundable.core.limits import echo


class BoundedInt(TypeDecorator[int]):
    """A 64-bit integer column holding values in ``[low, high]``."""

    impl: type[Integer] = BigInteger
    cache_ok = True

    def __init__(self, low: int, high: int, what: str) -> None:
        super().__init__()
        self.low, self.high, self.what = low, high, what

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and not self.low <= value <= self.high:
            raise LimitExceeded(
                f"{self.what} {echo(value)} is outside what the ledger stores",
                where=self.what,
                allowed=f"from {self.low:,} to {self.high:,}",
            )
        return value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        return _direct(self, dialect, _int_check(self.low, self.high, self.process_bind_param))


class BoundedInt32(BoundedInt):
    """A 32-bit integer column (priorities)."""

    impl = Integer
    cache_ok = True


class BoundedString(TypeDecorator[str]):
    """A VARCHAR(n) column that refuses longer text on every store (SQLite ignores n)."""

    impl = String
    cache_ok = True

    def __init__(self, length: int, what: str) -> None:
        super().__init__(length)
        self.max_length, self.what = length, what

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and len(value) > self.max_length:
            raise LimitExceeded(
                f"{self.what} of {len(value)} characters ({echo(value)})",
                where=self.what,
                allowed=f"at most {self.max_length} characters",
            )
        return value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        return _direct(self, dialect, _str_check(self.max_length, self.process_bind_param))


# The bound checks run for every value of every row written (15 statements, ~70 values per
# case intake). SQLAlchemy's TypeDecorator wraps ``process_bind_param`` in a closure of its
# own; these closures test the bound inline and call ``process_bind_param`` (which raises the
# error) only for a value outside it, so the check and its error stay in one place.
def _direct(
    col: TypeDecorator[Any], dialect: Dialect, check: Callable[[Any], Any]
) -> Callable[[Any], Any] | None:
    impl = col.impl_instance.bind_processor(dialect)
    if impl is None:
        return check
    return lambda value: impl(check(value))


def _int_check(low: int, high: int, refuse: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None or low <= value <= high:
            return value
        return refuse(value, None)

    return check


def _str_check(most: int, refuse: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value.__class__ is str and len(value) <= most:
            return value
        return refuse(value, None)

    return check


# SUM over 64-bit columns that cannot overflow on SQLite (whose sum() raises "integer overflow"
# as soon as a running total passes 2^63, even when the final total fits). Each value, below
# 10^18 in magnitude, is split into a high and a low part around 10^9 with the integer
# division and remainder both stores truncate toward zero (so value = high * 10^9 + low); each
# part sums exactly over billions of rows, and Python adds the two with unbounded integers.
SPLIT: Final = 10**9


def exact_sum(column: ColumnElement[int]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The two aggregate columns whose ``exact_total`` is ``SUM(column)``, exactly."""
    return func.sum(column.op("/")(SPLIT)), func.sum(column % SPLIT)


def exact_total(high: Any, low: Any) -> int:
    return int(high or 0) * SPLIT + int(low or 0)
