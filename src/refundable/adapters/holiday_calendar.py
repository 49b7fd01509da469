"""Public holidays from the maintained ``holidays`` package.

Dates are never typed by hand: the package carries each jurisdiction's statutes, including
observed days (a holiday on Sunday moves to Monday in South Africa) and one-off holidays
(election days, proclaimed days).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache

import holidays

from refundable.core.errors import InputError
from refundable.core.time import HolidaySource


def holiday_source(country: str, subdivision: str | None = None) -> HolidaySource:
    """A HolidaySource for one jurisdiction; raises a clear error for an unknown country."""
    if country not in holidays.list_supported_countries():
        raise InputError(
            f"no public-holiday calendar for country {country!r}",
            where="calendar.country",
            allowed="an ISO-3166 alpha-2 code the holidays package supports, e.g. ZA",
        )

    def source(year: int) -> Mapping[date, str]:
        return _holidays(country, subdivision, year)

    return source


@lru_cache(maxsize=1024)
def _holidays(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    table = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return {day: str(name) for day, name in table.items()}
