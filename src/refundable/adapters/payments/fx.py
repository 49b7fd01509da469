"""A fixed exchange-rate table (the ``FxRates`` port): the rates a deployment configures
(``REFUNDABLE_FX_RATES``), each named with its source so a payout records where its rate came
from. A live feed is another adapter behind the same port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.core.errors import FxRateMissing, InputError
from refundable.core.money import FxRate


@dataclass(frozen=True, slots=True)
class FixedFxRates:
    rates: tuple[FxRate, ...] = ()
    source: str = "fixed table"

    @classmethod
    def parse(cls, text: str, source: str = "REFUNDABLE_FX_RATES") -> FixedFxRates:
        """``USD/ZAR=18.50, EUR/ZAR=20.10`` (1 base = rate quote)."""
        rates = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            pair, sep, value = item.partition("=")
            if not sep:
                raise InputError(f"{item!r} is not PAIR=RATE", where=source,
                                 allowed="e.g. USD/ZAR=18.50, EUR/ZAR=20.10")  # fmt: skip
            rates.append(FxRate.parse(pair.strip(), value.strip(), source=source))
        return cls(tuple(rates), source)

    def rate(self, base: str, quote: str, at: datetime) -> FxRate:
        for r in self.rates:
            if (r.base, r.quote) == (base, quote):
                return FxRate(base, quote, r.rate, at, f"{self.source}: {r.pair}={r.rate}")
            if (r.base, r.quote) == (quote, base):
                inv = r.inverse()
                return FxRate(base, quote, inv.rate, at, f"{self.source}: 1/({r.pair}={r.rate})")
        raise FxRateMissing(
            f"no exchange rate {base}/{quote} is configured",
            where=self.source,
            allowed=f"a rate such as {base}/{quote}=1.00 in the table",
        )
