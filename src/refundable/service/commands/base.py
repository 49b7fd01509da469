"""What every command checks about itself when it is built, from the one table of limits.

A command is the service's contract with every entry point (CLI, HTTP, jobs). Checking it on
construction means a bad command never reaches a handler, never opens a transaction and
writes nothing; the error says which field, what was wrong and what is allowed. The checks
are chosen by field name and value type, so a new command gets them by naming its fields in
the house vocabulary (``*_id``, ``at``, ``amount``, ``units``, ``reason``...).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, ClassVar, cast, get_args, get_type_hints

from refundable.core import limits
from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.ledger.accounts import check_commodity

_ID = re.compile(limits.ID_PATTERN)
ID_MATCH = _ID.match  # for checking a whole column at C speed: all(map(ID_MATCH, ids))
ID_FIELDS = frozenset({"idempotency_key", "from_customer", "to_customer", "provider"})
TEXT_FIELDS = frozenset({"reason", "memo", "cause", "name"})
_ID_ALLOWED = (
    f"1-{limits.MAX_ID_LENGTH} characters: letters, digits, '.', '_', ':', '-' "
    "(starting with a letter or digit)"
)


class Command:
    """Base of every command. ``BUSINESS_KEYS`` names the things a command creates, as
    (kind, field) pairs: the bus refuses a second command creating the same thing with other
    content, and replays the first result when the content is the same."""

    __slots__ = ()
    BUSINESS_KEYS: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __post_init__(self) -> None:
        check_fields(self)

    def business_keys(self) -> list[tuple[str, str]]:
        return [(kind, getattr(self, name)) for kind, name in self.BUSINESS_KEYS]


def bad(where: str, value: object, allowed: str, what: str = "") -> InputError:
    return InputError(
        f"{what or 'value'} {limits.echo(value)} is not accepted", where=where, allowed=allowed
    )


def check_id(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise bad(where, value, _ID_ALLOWED, "id")
    return value


def check_text(value: object, where: str) -> str:
    if not isinstance(value, str) or len(value) > limits.MAX_TEXT_LENGTH:
        raise bad(where, value, f"text of at most {limits.MAX_TEXT_LENGTH} characters")
    return value


def check_instant(value: object, where: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise bad(where, value, "a timezone-aware instant, e.g. 2026-03-01T09:00:00+02:00")
    if not limits.MIN_YEAR <= value.year <= limits.MAX_YEAR:
        raise bad(where, value, f"an instant from {limits.MIN_YEAR} to {limits.MAX_YEAR}")
    return value


def check_money(value: object, where: str, allow_zero: bool = False) -> Money:
    if not isinstance(value, Money):
        raise bad(where, value, "an amount with its currency, e.g. ZAR 10.00")
    low_ok = value.amount >= 0 if allow_zero else value.is_positive
    if not low_ok or value.amount >= limits.MAX_AMOUNT:
        least = "0 or more" if allow_zero else "more than 0"
        raise bad(where, value, f"{least} and below {limits.MAX_AMOUNT:,} {value.currency}")
    try:
        value.to_minor()
    except InputError as err:
        raise bad(where, value, err.allowed or "the currency's minor unit") from None
    return value


def check_int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad(where, value, f"a whole number from {low:,} to {high:,}")
    return value


@cache
def _plan(cls: Hashable) -> tuple[tuple[str, str, Any, bool], ...]:
    """Per command class, once: each field's name, where an error points, declared type,
    and whether None is allowed (a command is built per request; its class never changes)."""
    hints = get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        hint = hints.get(f.name)
        nullable = f.default is None or type(None) in get_args(hint)
        out.append((f.name, f"{cls.__name__}.{f.name}", hint, nullable))  # type: ignore[attr-defined]
    return tuple(out)


def check_fields(cmd: object) -> None:
    """Check every field of ``cmd`` by its name and declared type."""
    for name, where, hint, nullable in _plan(cast(Hashable, type(cmd))):
        value = getattr(cmd, name)
        if value is None and nullable:
            continue
        _check_one(name, value, hint, where)


def _check_one(name: str, value: object, hint: Any, where: str) -> None:
    if isinstance(hint, type) and issubclass(hint, Enum):
        if not isinstance(value, hint):
            raise bad(where, value, ", ".join(m.value for m in hint))
    elif name.endswith("_id") or name in ID_FIELDS:
        check_id(value, where)
    elif name in TEXT_FIELDS:
        check_text(value, where)
    elif name == "at" or name.endswith("_at") or name == "as_of":
        check_instant(value, where)
    elif hint is Money:
        check_money(value, where, allow_zero=name == "price")
    elif name == "units":
        check_int(value, where, 1, limits.MAX_UNITS - 1)
    elif name == "priority" and isinstance(value, int):
        check_int(value, where, limits.MIN_PRIORITY, limits.MAX_PRIORITY)
    elif name == "unit":
        check_commodity(value, where)
    elif hint is bool and not isinstance(value, bool):
        raise bad(where, value, "true or false")
