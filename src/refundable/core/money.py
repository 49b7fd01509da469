"""One strict Money: a Decimal amount with an ISO-4217 currency.

Refund amounts are computed from ratios (pro-rata, percentages, fees) and must come out the
same every time, to the cent, with the rounding a policy names. So:

* no floats, anywhere: constructing from a float raises, and so does multiplying by one;
* no mixing currencies: adding rand to dollars raises, and so does comparing them;
* no comparing with bare numbers (``Money == 0`` is a bug waiting to happen);
* intermediate results keep full precision; ``round()`` is called once, at the end, with a
  named rounding mode, to the currency's minor unit;
* ``split``/``allocate`` return parts that add up exactly to the whole;
* conversion only through an explicit :class:`FxRate` the caller supplies.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from refundable.core.currencies import MINOR_UNITS as _MINOR_UNITS
from refundable.core.currencies import currency_problem
from refundable.core.errors import CurrencyError, FxRateMissing, InputError, OutOfRange
from refundable.core.limits import MAX_AMOUNT, MAX_FX_RATE, MAX_NUMBER_CHARS, MIN_FX_RATE, echo

# Enough precision for ratios of large amounts; every computation runs in this context.
_CONTEXT = decimal.Context(
    prec=34, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation]
)

# ISO-4217 codes and their minor units: from the maintained lists (core/currencies.py).
MINOR_UNITS = _MINOR_UNITS

# The minor unit of each currency as a Decimal exponent (0.01 for ZAR), for quantize();
# filled on first use of each currency.
_QUANTUM: dict[str, Decimal] = {}


def _quantum(currency: str) -> Decimal:
    quantum = _QUANTUM.get(currency)
    if quantum is None:
        quantum = _QUANTUM[currency] = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return quantum


class Rounding(Enum):
    """Named rounding modes; a policy picks one by name, the default is half-up."""

    half_up = decimal.ROUND_HALF_UP
    half_even = decimal.ROUND_HALF_EVEN
    half_down = decimal.ROUND_HALF_DOWN
    down = decimal.ROUND_DOWN
    up = decimal.ROUND_UP
    floor = decimal.ROUND_FLOOR
    ceiling = decimal.ROUND_CEILING


def check_currency(code: object, where: str = "currency") -> str:
    """Return ``code`` if it is a known ISO-4217 code, else raise a specific error."""
    if not isinstance(code, str) or code not in MINOR_UNITS:
        raise currency_problem(code, where)
    return code


def to_decimal(value: object, where: str = "amount") -> Decimal:
    """Parse an amount given as a decimal string, an int or a Decimal; refuse floats.

    A float has already lost the cents (``0.1 + 0.2``), so it is refused rather than converted.
    """
    if isinstance(value, bool):
        raise InputError("a boolean is not an amount", where=where, allowed="a decimal string")
    if isinstance(value, float):
        raise InputError(
            f"amount {value!r} is a float; floats lose cents",
            where=where,
            allowed='a decimal string such as "499.00"',
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        if len(value) > MAX_NUMBER_CHARS or "_" in value:  # Decimal() would read "1_000"
            raise (OutOfRange if len(value) > MAX_NUMBER_CHARS else InputError)(
                f"{echo(value)} is not a plain decimal number",
                where=where,
                allowed=f'digits and one point, at most {MAX_NUMBER_CHARS} characters: "499.00"',
            )
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InputError(
                f"{value!r} is not a decimal number", where=where, allowed='e.g. "499.00"'
            ) from None
    else:
        raise InputError(
            f"{type(value).__name__} is not an amount", where=where, allowed="a decimal string"
        )
    if not result.is_finite():
        raise InputError(f"amount {value!r} is not finite", where=where, allowed="a finite number")
    return result


def check_amount(amount: Decimal, where: str = "amount") -> Decimal:
    """Refuse an amount at or past MAX_AMOUNT (limits.py) where it enters from outside."""
    if not -MAX_AMOUNT < amount < MAX_AMOUNT:
        raise OutOfRange(
            f"{echo(str(amount))} is beyond the largest amount",
            where=where,
            allowed=f"less than {MAX_AMOUNT:,} in absolute value",
        )
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency. Unrounded while computing; ``round()`` once at the end."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if (
            type(self.amount) is Decimal
            and self.currency in MINOR_UNITS
            and self.amount.is_finite()
        ):
            return  # the common case, checked cheaply: Money is built on every step
        if not isinstance(self.amount, Decimal):
            # Reached only by programming error: parsing goes through Money.of().
            raise InputError(
                f"Money amount must be a Decimal, not {type(self.amount).__name__}",
                where="amount",
                allowed="Decimal (use Money.of for strings)",
            )
        if not self.amount.is_finite():
            raise InputError("amount is not finite", where="amount")
        check_currency(self.currency)

    # construction --------------------------------------------------------------------------
    @classmethod
    def of(cls, amount: object, currency: str, where: str = "amount") -> Money:
        """Money parsed from outside: bounded by MAX_AMOUNT (sums computed inside may grow)."""
        value = check_amount(to_decimal(amount, where), where)
        return cls(value, check_currency(currency, f"{where}.currency"))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-MINOR_UNITS[check_currency(currency)]), currency)

    # arithmetic ----------------------------------------------------------------------------
    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {op} Money and {type(other).__name__}; use Money")
        if other.currency != self.currency:
            raise CurrencyError(
                f"cannot {op} {self.currency} and {other.currency}",
                allowed="one currency; convert first with an explicit FxRate",
            )
        return other

    def __add__(self, other: object) -> Money:
        o = self._same(other, "add")
        return Money(_CONTEXT.add(self.amount, o.amount), self.currency)

    def __sub__(self, other: object) -> Money:
        o = self._same(other, "subtract")
        return Money(_CONTEXT.subtract(self.amount, o.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        return Money(_CONTEXT.multiply(self.amount, _factor(factor)), self.currency)

    __rmul__ = __mul__

    def ratio_of(self, other: Money) -> Decimal:
        """self / other as a Decimal (e.g. the fraction of a payment already refunded)."""
        o = self._same(other, "divide")
        return _CONTEXT.divide(self.amount, o.amount)

    # comparison: only with Money of the same currency ---------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            if isinstance(other, int | float | Decimal):
                raise TypeError("compare Money with Money, not with a bare number")
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same(other, "compare").amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    # rounding, splitting -------------------------------------------------------------------
    @property
    def minor_units(self) -> int:
        return MINOR_UNITS[self.currency]

    def round(self, mode: Rounding = Rounding.half_up) -> Money:
        quantum = _quantum(self.currency)
        return Money(self.amount.quantize(quantum, rounding=mode.value), self.currency)

    def to_minor(self) -> int:
        """Integer minor units; only for an amount already rounded to the minor unit."""
        scaled = self.amount.scaleb(self.minor_units)
        if scaled != scaled.to_integral_value():
            raise InputError(
                f"{self} has more decimals than {self.currency} allows",
                allowed=f"{self.minor_units} decimal places (round first)",
            )
        return int(scaled)

    def allocate(self, ratios: Sequence[Decimal | int]) -> list[Money]:
        """Split into parts proportional to ``ratios`` that add up exactly to the rounded whole.

        Largest-remainder method: each part is rounded down to the minor unit, then the
        leftover minor units go one each to the parts with the largest remainders (earlier
        parts first on ties), so the same input always gives the same parts.
        """
        weights = [_factor(r) for r in ratios]
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise InputError("ratios must be non-negative and not all zero", where="ratios")
        total = self.round().to_minor()
        sign = -1 if total < 0 else 1
        whole = abs(total)
        weight_sum = sum(weights)
        exact = [Decimal(whole) * w / weight_sum for w in weights]
        parts = [int(e) for e in exact]
        leftover = whole - sum(parts)
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in order[:leftover]:
            parts[i] += 1
        return [Money.from_minor(sign * p, self.currency) for p in parts]

    def split(self, n: int) -> list[Money]:
        """n parts as equal as the minor unit allows, adding up exactly to the rounded whole."""
        if n < 1:
            raise InputError(f"cannot split into {n} parts", where="n", allowed="1 or more")
        return self.allocate([1] * n)

    # conversion ----------------------------------------------------------------------------
    def convert(self, rate: FxRate) -> Money:
        if rate.base != self.currency:
            raise CurrencyError(
                f"rate {rate.pair} converts from {rate.base}, not from {self.currency}"
            )
        return Money(_CONTEXT.multiply(self.amount, rate.rate), rate.quote)

    # presentation ---------------------------------------------------------------------------
    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{max(self.minor_units, 0)}f}"

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def to_json(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}


def _factor(value: object) -> Decimal:
    if isinstance(value, float):
        raise InputError(f"factor {value!r} is a float", allowed="a Decimal or an int")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"cannot multiply Money by {type(value).__name__}")
    return Decimal(value)


def total(amounts: Iterable[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for m in amounts:
        result = result + m
    return result


@dataclass(frozen=True, slots=True)
class FxRate:
    """One exchange rate the caller supplies: 1 ``base`` = ``rate`` ``quote``.

    Refundable never looks rates up by itself inside the core: the rate, its as-of time and
    its source are part of the decision's inputs, so the decision can be replayed.
    """

    base: str
    quote: str
    rate: Decimal
    as_of: datetime | None = None
    source: str = "request"

    def __post_init__(self) -> None:
        check_currency(self.base, "fx.base")
        check_currency(self.quote, "fx.quote")
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate <= 0:
            raise InputError(f"fx rate {self.rate!r} must be a positive Decimal", where="fx")
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise InputError("fx as_of must be timezone-aware", where="fx.as_of")

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

    @classmethod
    def parse(cls, pair: str, rate: Any, **kw: Any) -> FxRate:
        base, sep, quote = pair.partition("/")
        if not sep:
            raise InputError(f"fx pair {pair!r} is not BASE/QUOTE", where="fx", allowed="USD/ZAR")
        value = to_decimal(rate, f"fx.{pair}")
        if value.is_finite() and value > 0 and not MIN_FX_RATE <= value <= MAX_FX_RATE:
            raise OutOfRange(
                f"fx rate {echo(str(value))} for {pair} is out of range",
                where=f"fx.{pair}",
                allowed=f"{MIN_FX_RATE:f} to {MAX_FX_RATE:,}",
            )
        return cls(base, quote, value, **kw)

    def inverse(self) -> FxRate:
        inverted = _CONTEXT.divide(Decimal(1), self.rate)
        return FxRate(self.quote, self.base, inverted, self.as_of, f"{self.source}, inverted")


@dataclass(frozen=True, slots=True)
class FxTable:
    """The rates a caller supplied for one computation; converts only along those pairs."""

    rates: tuple[FxRate, ...] = ()

    def convert(self, money: Money, to: str) -> tuple[Money, FxRate | None]:
        if money.currency == to:
            return money, None
        for r in self.rates:
            if r.base == money.currency and r.quote == to:
                return money.convert(r), r
            if r.quote == money.currency and r.base == to:
                inv = r.inverse()
                return money.convert(inv), inv
        raise FxRateMissing(
            f"no exchange rate supplied to convert {money.currency} to {to}",
            where="fx",
            allowed=f'a rate for "{money.currency}/{to}" in the request, e.g. '
            f'{{"{money.currency}/{to}": "18.50"}}',
        )
