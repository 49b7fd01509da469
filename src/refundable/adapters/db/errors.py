"""One place where storage errors become the project's errors (issue 8, item "out-of-range
values never produce raw DB errors").

``translate`` is installed on every engine as SQLAlchemy's ``handle_error`` hook, so it sees
every statement's failure, from the unit of work and from the read side alike:

* our own ``LimitExceeded`` raised by a bounded column type while binding parameters;
* a balance pushed past ``MAX_BALANCE_MINOR`` (PostgreSQL CHECK, SQLite trigger ``limit:``),
  a 64-bit overflow, an over-long string, a Python int too large for SQLite;
* any other data error (a value the column cannot hold) as an ``InputError``.

Left alone on purpose: transient conflicts (the unit of work turns them into ``Retry``), and
the append-only refusals (only raw SQL meets them; they stay database errors that say
"append-only").
"""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import ExceptionContext

from refundable.core.errors import InputError, LimitExceeded, RefundableError
from refundable.core.limits import MAX_BALANCE_MINOR

if TYPE_CHECKING:
    import psycopg

_OUT_OF_RANGE = {"22003", "22008", "22001"}  # numeric, datetime out of range; string too long
_DATA = "22"  # class 22: data exceptions


def _balance_limit() -> LimitExceeded:
    return LimitExceeded(
        "an account balance would pass the ledger's limit",
        where="balance",
        allowed=f"balances within ±{MAX_BALANCE_MINOR:,} minor units",
    )


def translate(err: BaseException) -> RefundableError | None:
    """Our error for ``err``, or None to let it through unchanged."""
    if isinstance(err, RefundableError):
        return err
    text = str(err)
    if isinstance(err, OverflowError):  # sqlite3 binding an int beyond 64 bits
        return LimitExceeded(
            "a number too large for the store", where="value", allowed="values within limits"
        )
    if isinstance(err, sqlite3.Error):
        if "limit: an account balance" in text:
            return _balance_limit()
        if "integer overflow" in text:
            return LimitExceeded(
                "a sum past the store's 64-bit range", where="sum", allowed="sums within limits"
            )
        return None
    # psycopg is the optional `postgres` extra: if it was never imported, no error is from it
    pg: Any = sys.modules.get("psycopg")
    if pg is not None and isinstance(err, pg.Error):
        state = err.sqlstate or ""
        if state == "23514" and "balance_limit" in text:
            return _balance_limit()
        if state in _OUT_OF_RANGE:
            return _too_big(err)
        if state.startswith(_DATA):
            return InputError("a value the store cannot hold", where="value", allowed=state)
    return None


def _too_big(err: psycopg.Error) -> LimitExceeded:
    return LimitExceeded(
        f"a value outside what the store holds ({err.sqlstate})",
        where="value",
        allowed="values within docs/limits.md",
    )


def on_error(context: ExceptionContext) -> BaseException | None:
    """SQLAlchemy ``handle_error`` hook: raise our error instead of the driver's."""
    return translate(context.original_exception)
