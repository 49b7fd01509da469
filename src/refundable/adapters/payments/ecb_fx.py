"""Exchange rates from a maintained source: the European Central Bank's daily euro reference
rates (the ``FxRates`` port; MyProtektor 8.2: the rate at processing time, with its source).

The ECB publishes, each TARGET business day around 16:00 CET, one XML document of euro rates
(``1 EUR = rate CUR``). This adapter fetches it over HTTP (httpx, a short timeout, the body
capped), keeps it for ``ttl`` and derives any pair through the euro:
``base/quote = rate(quote) / rate(base)``, rounded to 8 decimal places (half even). Every
rate it gives names its source and reference date (``ECB euro reference rates of
2026-11-27: EUR/USD=1.0550, EUR/ZAR=19.12``) and carries that date's publication instant as
``as_of``, so a payout records exactly which published figures converted it.

A rate older than ``max_age_days`` at the conversion instant (the feed stopped, or a long
closure) is refused, as is a pair the document lacks, or a document that cannot be read:
``FxRateMissing``, which the outbox worker retries (the payout waits; it is never converted
at a guessed rate). Selected by ``REFUNDABLE_FX_SOURCE=ecb`` (``REFUNDABLE_FX_URL`` to point
elsewhere, e.g. a mirror or a test server); the fixed table stays the offline/demo choice.
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import httpx

from refundable.core.errors import FxRateMissing
from refundable.core.money import FxRate

ECB_DAILY = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
MAX_BODY = 1 << 20  # the daily document is about 2 kB
_PLACES = Decimal("0.00000001")
_PUBLISHED = (16, ZoneInfo("Europe/Berlin"))  # about 16:00 CET on the reference day


@dataclass(frozen=True, slots=True)
class EuroRates:
    """One published document: its reference day and 1 EUR in each currency."""

    day: date
    per_euro: dict[str, Decimal]

    @property
    def published_at(self) -> datetime:
        hour, zone = _PUBLISHED
        return datetime(self.day.year, self.day.month, self.day.day, hour, tzinfo=zone)


def parse_ecb(body: bytes) -> EuroRates:
    """The day and rates of an ECB ``eurofxref`` document (ValueError if it is not one)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as err:
        raise ValueError(f"not XML: {err}") from None
    days = [e for e in root.iter() if e.tag.endswith("Cube") and "time" in e.attrib]
    if len(days) != 1:
        raise ValueError(f"expected one dated Cube, found {len(days)}")
    rates: dict[str, Decimal] = {"EUR": Decimal(1)}
    for cube in days[0]:
        try:
            value = Decimal(cube.attrib["rate"])
        except (KeyError, InvalidOperation):
            raise ValueError(f"a Cube without a decimal rate: {cube.attrib}") from None
        if not value.is_finite() or value <= 0:
            raise ValueError(f"rate {value} of {cube.attrib.get('currency')} is not positive")
        rates[cube.attrib.get("currency", "?").upper()] = value
    return EuroRates(date.fromisoformat(days[0].attrib["time"]), rates)


class EcbFxRates:
    def __init__(
        self, url: str = ECB_DAILY, *, ttl: timedelta = timedelta(hours=1),
        max_age_days: int = 5, timeout_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.url, self.ttl, self.max_age_days, self.timeout_s = url, ttl, max_age_days, timeout_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, EuroRates] | None = None

    @property
    def source(self) -> str:
        return f"ECB euro reference rates ({self.url})"

    def rate(self, base: str, quote: str, at: datetime) -> FxRate:
        table = self._table()
        missing = [c for c in (base, quote) if c not in table.per_euro]
        if missing:
            raise FxRateMissing(f"the ECB publishes no euro rate for {', '.join(missing)}",
                                where=self.source,
                                allowed=", ".join(sorted(table.per_euro)))  # fmt: skip
        if at.date() - table.day > timedelta(days=self.max_age_days):
            raise FxRateMissing(
                f"the newest ECB rates ({table.day}) are more than {self.max_age_days} days "
                f"older than {at.date()}",
                where=self.source,
                allowed="a fresh reference-rate document (the payout waits and retries)",
            )
        b, q = table.per_euro[base], table.per_euro[quote]
        value = (q / b).quantize(_PLACES, rounding=ROUND_HALF_EVEN)
        figures = ", ".join(f"EUR/{c}={table.per_euro[c]}" for c in dict.fromkeys((base, quote))
                            if c != "EUR")  # fmt: skip
        source = f"ECB euro reference rates of {table.day}: {figures or 'EUR/EUR=1'}"
        return FxRate(base, quote, value, table.published_at, source)

    def _table(self) -> EuroRates:
        with self._lock:
            now = self._monotonic()
            if self._cached is not None and now - self._cached[0] < self.ttl.total_seconds():
                return self._cached[1]
            try:
                fresh = parse_ecb(self._fetch())
            except (httpx.HTTPError, ValueError) as err:
                if self._cached is not None:  # keep the last good document; the age check
                    return self._cached[1]  # still refuses it once it is too old
                raise FxRateMissing(f"the ECB rates could not be read: {err}",
                                    where=self.source,
                                    allowed="a reachable eurofxref document") from None  # fmt: skip
            self._cached = (now, fresh)
            return fresh

    def _fetch(self) -> bytes:
        with httpx.stream("GET", self.url, timeout=self.timeout_s, follow_redirects=True) as r:
            r.raise_for_status()
            body = b""
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    raise ValueError(f"the document is larger than {MAX_BODY} bytes")
            return body
