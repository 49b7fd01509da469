"""The field types of the request vocabulary: how each kind of value is read, and its bounds.

Each type is strict where a lax reading would change the meaning: amounts are decimal strings
(a float, ``1_000`` or ``1e3`` is refused, not rounded or guessed), counts are integers,
booleans are true or false (never "yes"), instants carry an offset and fall between
``MIN_YEAR`` and ``MAX_YEAR``, text has no control characters. Every bound comes from
:mod:`refundable.core.limits`. A problem is a :class:`FieldProblem` naming what is allowed
and the error class, which :mod:`refundable.policy.requests` turns into one InputError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, ValidationInfo, WithJsonSchema

from refundable.core.currencies import currency_problem
from refundable.core.errors import InputError, OutOfRange
from refundable.core.limits import (
    ID_PATTERN,
    MAX_AMOUNT,
    MAX_ID_LENGTH,
    MAX_LIST_ITEMS,
    MAX_NUMBER_CHARS,
    MAX_TEXT_LENGTH,
    MAX_UNITS,
    MAX_YEAR,
    MIN_YEAR,
    echo,
)
from refundable.core.methods import Method
from refundable.core.money import MINOR_UNITS


class FieldProblem(ValueError):
    """What a field validator found wrong, with what is allowed and the error class to raise
    (``field`` names a sub-field when a model-level check blames one field)."""

    def __init__(
        self,
        message: str,
        *,
        allowed: str | None = None,
        error: type[InputError] = InputError,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed
        self.error = error
        self.field = field


_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_DECIMAL_ALLOWED = (
    'a decimal string such as "499.00" (digits and one point; no _, spaces or exponent)'
)


def _strict_decimal(value: Any) -> Decimal:
    """Amounts: decimal strings (or ints), within MAX_AMOUNT; floats, 1_000 and 1e3 refused."""
    if isinstance(value, float):
        raise FieldProblem(
            f'amount {value!r} is a float; write it as a decimal string such as "{value}"',
            allowed=_DECIMAL_ALLOWED,
        )
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise FieldProblem(
            f"expected a decimal string, got {type(value).__name__}", allowed=_DECIMAL_ALLOWED
        )
    if isinstance(value, str):
        if len(value) > MAX_NUMBER_CHARS:
            raise FieldProblem(
                f"{echo(value)} is too long for an amount",
                allowed=f"at most {MAX_NUMBER_CHARS} characters",
                error=OutOfRange,
            )
        if not _DECIMAL.fullmatch(value):
            raise FieldProblem(
                f"{echo(value)} is not a plain decimal number", allowed=_DECIMAL_ALLOWED
            )
    result = Decimal(value)
    if not result.is_finite():
        raise FieldProblem("amount is not finite", allowed=_DECIMAL_ALLOWED)
    if abs(result) >= MAX_AMOUNT:
        raise FieldProblem(
            f"{echo(str(value))} is beyond the largest amount",
            allowed=f"less than {MAX_AMOUNT:,} in absolute value",
            error=OutOfRange,
        )
    return result


def _whole(limit: int) -> Callable[[Any], int]:
    """Counts: JSON/YAML integers from 0 to below ``limit``; "120", 1_000 and 1.0 refused."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldProblem(
                f"{echo(value)} is not a whole number", allowed="an unquoted integer such as 120"
            )
        if not 0 <= value < limit:
            raise FieldProblem(
                f"{echo(value)} is out of range",
                allowed=f"0 to {limit - 1:,}",
                error=OutOfRange,
            )
        return value

    return check


def _flag(value: Any) -> bool:
    """Booleans are true or false, never "yes", 1 or "on"."""
    if not isinstance(value, bool):
        raise FieldProblem(f"{echo(value)} is not a boolean", allowed="true or false (unquoted)")
    return value


def _text(limit: int) -> Callable[[Any], str]:
    """Free text: a string of at most ``limit`` characters without control characters."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldProblem(f"expected text, got {type(value).__name__}", allowed="a string")
        if len(value) > limit:
            raise FieldProblem(
                f"text of {len(value):,} characters is too long",
                allowed=f"at most {limit:,} characters",
                error=OutOfRange,
            )
        if _CONTROL.search(value):
            raise FieldProblem(
                f"{echo(value)} contains a control character",
                allowed="printable text (no control or bidirectional characters)",
            )
        return value

    return check


_short_text = _text(MAX_ID_LENGTH)
_IDENTIFIER = re.compile(ID_PATTERN)
_POLICY_ID = re.compile(r"[a-z][a-z0-9_-]*")


def _identifier(value: Any) -> str:
    text = _short_text(value)
    if not _IDENTIFIER.fullmatch(text):
        raise FieldProblem(
            f"{echo(text)} is not an identifier",
            allowed=f"letters, digits and . _ : - (at most {MAX_ID_LENGTH}, starting with a "
            "letter or digit)",
        )
    return text


def _payment_method(value: Any) -> str:
    """One definition of payment methods: the ledger's ``Method`` (issue 7 §7)."""
    text = _short_text(value)
    if text not in _METHODS:
        raise FieldProblem(
            f"{echo(text)} is not a payment method", allowed=", ".join(sorted(_METHODS))
        )
    return text


_METHODS = frozenset(m.value for m in Method)


def _policy_id(value: Any) -> str:
    text = _short_text(value)
    if not _POLICY_ID.fullmatch(text):
        raise FieldProblem(
            f"{echo(text)} is not a policy id",
            allowed="lower-case letters, digits, _ and -, starting with a letter (e.g. conek)",
        )
    return text


_INSTANT_ALLOWED = "ISO-8601 with an offset, e.g. 2026-03-02T10:15:00+02:00"


def _in_years(value: date, allowed: str) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise FieldProblem(
            f"year {value.year} is out of range",
            allowed=f"years {MIN_YEAR} to {MAX_YEAR}; {allowed}",
            error=OutOfRange,
        )


def _parse_text_time(value: str) -> date | datetime:
    """ISO text -> a date (YYYY-MM-DD alone) or a datetime, with a readable reason if not."""
    if len(value) > MAX_NUMBER_CHARS:
        raise FieldProblem(
            f"{echo(value)} is too long for a date or time", allowed=_INSTANT_ALLOWED
        )
    try:
        if _PLAIN_DATE.fullmatch(value):
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError as error:
        reason = str(error)
        why = f": {reason}" if "range" in reason or "must be in" in reason else ""
        raise FieldProblem(
            f"{echo(value)} is not a valid ISO-8601 date or time{why}", allowed=_INSTANT_ALLOWED
        ) from None


def _instant(value: Any) -> datetime | date:
    """An ISO-8601 instant with an offset (or a date, for the caller to judge)."""
    if isinstance(value, int | float | Decimal):  # bool is an int too
        raise FieldProblem(
            f"{echo(value)} is a number; epoch times are not accepted", allowed=_INSTANT_ALLOWED
        )
    if isinstance(value, str):
        value = _parse_text_time(value)
    if not isinstance(value, date):
        raise FieldProblem(
            f"expected an instant, got {type(value).__name__}", allowed=_INSTANT_ALLOWED
        )
    _in_years(value, _INSTANT_ALLOWED)
    if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
        raise FieldProblem(
            f"datetime {value.isoformat()} has no timezone; add an offset such as +02:00",
            allowed=_INSTANT_ALLOWED,
        )
    return value


def _aware(value: Any) -> datetime:
    """Instants (``_at`` fields): a time and an offset are required; a plain date is refused."""
    result = _instant(value)
    if not isinstance(result, datetime):
        raise FieldProblem(
            "a date is not an instant; give a time and an offset", allowed=_INSTANT_ALLOWED
        )
    return result


ZoneSource = Callable[[], ZoneInfo | None]


def _day_or_instant(value: Any, info: ValidationInfo) -> datetime:
    """Date-valued fields: a plain date means local midnight in the policy's timezone (ADR
    0018); an instant with an offset is taken as it is."""
    result = _instant(value)
    if isinstance(result, datetime):
        return result
    source = (info.context or {}).get("zone")
    zone = source() if callable(source) else None
    if zone is None:
        raise FieldProblem(
            f"the date {result.isoformat()} needs the policy's timezone, which is not known here",
            allowed="an instant with an offset (2026-03-31T00:00:00+02:00), or a date in a "
            "request decided under a known policy",
        )
    return datetime.combine(result, time.min, tzinfo=zone)


def _currency(value: Any) -> Any:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        # Withdrawn codes, codes without a minor unit and lower case get their own reason.
        why = currency_problem(value, "currency").message
        raise FieldProblem(
            f"{why}; use an ISO-4217 code such as ZAR or USD",
            allowed="an ISO-4217 code in upper case (ZAR, USD, EUR, ...)",
        )
    return value


def fits_currency(amount: Decimal | None, currency: str | None, field: str) -> None:
    """Refuse an amount with more decimals than its currency has (no silent rounding)."""
    if amount is None or currency is None or currency not in MINOR_UNITS:
        return
    places = MINOR_UNITS[currency]
    if amount.quantize(Decimal(1).scaleb(-places)) != amount:
        raise FieldProblem(
            f"{amount} has more decimals than {currency} has",
            allowed=f"at most {places} decimal places for {currency} (nothing is rounded)",
            field=field,
        )


def _schema(**body: Any) -> WithJsonSchema:
    return WithJsonSchema(body, mode="validation")


_DECIMAL_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_INSTANT_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": r"(Z|[+-][0-9]{2}:?[0-9]{2})$",
}

# Plain forms, shared with the policy language (document.py): their schema is the policy
# schema's business.
Amount = Annotated[Decimal, BeforeValidator(_strict_decimal)]
CurrencyCode = Annotated[str, BeforeValidator(_currency)]

# The request vocabulary's forms, each with the JSON Schema it publishes.
DecimalText = Annotated[Amount, _schema(**_DECIMAL_SCHEMA, maxLength=MAX_NUMBER_CHARS)]
Currency = Annotated[CurrencyCode, _schema(type="string", pattern="^[A-Z]{3}$")]
Instant = Annotated[datetime, BeforeValidator(_aware), _schema(**_INSTANT_SCHEMA)]
LocalDay = Annotated[
    datetime,
    BeforeValidator(_day_or_instant),
    _schema(anyOf=[{"type": "string", "format": "date"}, _INSTANT_SCHEMA]),
]
Flag = Annotated[bool, BeforeValidator(_flag), _schema(type="boolean")]
Units = Annotated[
    int,
    BeforeValidator(_whole(MAX_UNITS)),
    _schema(type="integer", minimum=0, maximum=MAX_UNITS - 1),
]
SmallCount = Annotated[
    int,
    BeforeValidator(_whole(MAX_LIST_ITEMS)),
    _schema(type="integer", minimum=0, maximum=MAX_LIST_ITEMS - 1),
]
Text = Annotated[
    str, BeforeValidator(_text(MAX_TEXT_LENGTH)), _schema(type="string", maxLength=MAX_TEXT_LENGTH)
]
ShortText = Annotated[
    str, BeforeValidator(_short_text), _schema(type="string", maxLength=MAX_ID_LENGTH)
]
Identifier = Annotated[
    str, BeforeValidator(_identifier), _schema(type="string", pattern=ID_PATTERN)
]
PaymentMethodName = Annotated[
    str,
    BeforeValidator(_payment_method),
    _schema(type="string", enum=sorted(m.value for m in Method)),
]
PolicyId = Annotated[
    str,
    BeforeValidator(_policy_id),
    _schema(type="string", pattern="^[a-z][a-z0-9_-]*$", maxLength=MAX_ID_LENGTH),
]
