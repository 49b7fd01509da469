"""Public holidays and the weekend from the maintained ``holidays`` package.

Dates are never typed by hand: the package carries each jurisdiction's statutes, including
observed days (a holiday on Sunday moves to Monday in South Africa), one-off holidays
(election days, proclaimed days) and the weekend: Friday-Saturday in Saudi Arabia, Friday
alone in Iran, and the day a country moved it (the UAE on 1 January 2022). Make-up working
days that fall on a weekend (China, Taiwan) count as working days.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from refundable.core.errors import InputError
from refundable.core.time import HolidaySource, WeekendSource


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """What a business calendar takes from a country: its holidays, its weekend as the
    package states it for the country (weekday numbers, Monday = 0) and the weekend dates of
    any year, which also honour subdivisions, dated changes and make-up working days."""

    holidays: HolidaySource
    weekend: frozenset[int]
    weekend_days: WeekendSource


def jurisdiction(country: str, subdivision: str | None = None) -> Jurisdiction:
    """The calendar facts of one jurisdiction; raises a clear error for an unknown country."""
    _check(country)
    _import_country(country)

    def holidays_of(year: int) -> Mapping[date, str]:
        return _holidays(country, subdivision, year)

    def weekend_of(year: int) -> frozenset[date]:
        return _weekend_days(country, subdivision, year)

    # The class attribute: no table is built (building one costs milliseconds per year).
    weekend = frozenset(getattr(holidays, country).weekend)
    return Jurisdiction(holidays_of, weekend, weekend_of)


def holiday_source(country: str, subdivision: str | None = None) -> HolidaySource:
    """A HolidaySource for one jurisdiction; raises a clear error for an unknown country."""
    return jurisdiction(country, subdivision).holidays


@lru_cache(maxsize=1)
def _supported() -> frozenset[str]:
    """The country codes the package supports, read from its registry table: the same set as
    ``list_supported_countries()``, which imports every country module to build it (0.1-0.4 s
    of a cold start; docs/decisions/0022-package-and-start-up.md)."""
    from holidays.registry import COUNTRIES

    return frozenset(c for names in COUNTRIES.values() for c in names[1:] if _is_code(c))


_COUNTRIES_PACKAGE = "holidays.countries"
# The stand-in below is process-wide state: threads compiling policies at once (the API's
# first requests) must take turns, or one removes the stand-in another still relies on.
_IMPORT_LOCK = threading.Lock()


def _import_country(country: str) -> None:
    """Import the one module of ``country`` without the ``holidays.countries`` package body.

    That body imports all ~250 country modules (0.3 s of a cold ``decide`` on the shared
    machine), and the package's lazy loaders import it before the module they want. Here an
    empty stand-in for the package is registered for the time of one import, then removed, so
    a later ``import holidays.countries`` still runs the real body, which finds this module
    already imported and reuses it (the same classes). One difference remains: that real
    package then lacks the attribute ``south_africa`` etc. for a module imported here;
    ``import holidays.countries.south_africa`` and the package's classes still work
    (docs/decisions/0022-package-and-start-up.md).
    """
    with _IMPORT_LOCK:
        _import_country_alone(country)


def _import_country_alone(country: str) -> None:
    if _COUNTRIES_PACKAGE in sys.modules:  # the real package is there: nothing to save
        return
    module = next(m for m, names in _registry().items() if country in names[1:])
    spec = importlib.util.find_spec(_COUNTRIES_PACKAGE)
    if spec is None:  # pragma: no cover - the installed package always has it
        return
    sys.modules[_COUNTRIES_PACKAGE] = importlib.util.module_from_spec(spec)
    try:
        importlib.import_module(f"{_COUNTRIES_PACKAGE}.{module}")
    finally:
        del sys.modules[_COUNTRIES_PACKAGE]


def _registry() -> Mapping[str, tuple[str, ...]]:
    from holidays.registry import COUNTRIES

    return COUNTRIES


def _is_code(name: str) -> bool:
    return name.isupper() and len(name) <= 3


def _check(country: str) -> None:
    if country not in _supported():
        raise InputError(
            f"no public-holiday calendar for country {country!r}",
            where="calendar.country",
            allowed="an ISO-3166 alpha-2 code the holidays package supports, e.g. ZA",
        )


@lru_cache(maxsize=1024)
def _table(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


@lru_cache(maxsize=1024)
def _holidays(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    return {day: str(name) for day, name in _table(country, subdivision, year).items()}


@lru_cache(maxsize=1024)
def _weekend_days(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    table = _table(country, subdivision, year)
    day, days = date(year, 1, 1), set()
    while day.year == year:
        if table.is_weekend(day) and day not in table.weekend_workdays:
            days.add(day)
        day += timedelta(days=1)
    return frozenset(days)
