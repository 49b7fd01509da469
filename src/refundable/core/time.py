"""Time as data: aware datetimes, the clock seam, and business-day calendars.

Policies make promises in business days ("a decision within 10 business days") and set
windows in calendar days or hours. Both are counted in the policy's own timezone, so every
instant that enters the core must be timezone-aware; the calendar turns "N business days after
this request" into one aware deadline instant.

Readings (docs/decisions/0003-business-days.md):
* "within N days of X": calendar days in the policy's timezone, day N included.
* "within N hours of X": elapsed time.
* "N business days": counted after the day of the event; the deadline is the close of business
  on the N-th business day. A request received outside business hours counts as received at
  the next opening.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from refundable.core.errors import InputError

UTC = ZoneInfo("UTC")


class Clock(Protocol):
    """The one seam through which the present enters; only adapters implement ``now``."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock that always says the same instant: for tests and replays."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def require_aware(value: datetime, where: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"datetime {value.isoformat()} has no timezone",
            where=where,
            allowed="ISO-8601 with an offset, e.g. 2026-03-02T10:15:00+02:00",
        )
    return value


def parse_instant(text: object, where: str) -> datetime:
    """Parse an ISO-8601 instant that must carry its offset."""
    if isinstance(text, datetime):
        return require_aware(text, where)
    if not isinstance(text, str):
        raise InputError(
            f"{type(text).__name__} is not an instant", where=where, allowed="ISO-8601 text"
        )
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{text!r} is not an ISO-8601 instant",
            where=where,
            allowed="e.g. 2026-03-02T10:15:00+02:00",
        ) from None
    return require_aware(value, where)


def load_zone(name: str, where: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown timezone {name!r}", where=where, allowed="an IANA name: Africa/Johannesburg"
        ) from None


@dataclass(frozen=True, slots=True)
class BusinessHours:
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise InputError(
                f"business hours open at {self.opens} and close at {self.closes}",
                where="business_hours",
                allowed="opens before closes, same day",
            )


HolidaySource = Callable[[int], Mapping[date, str]]
"""Gives the public holidays (date -> name) of one year; adapters back it with `holidays`."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Monday to Friday, minus a jurisdiction's public holidays and one-off closures.

    Holidays come from a :data:`HolidaySource` (observed days and one-off holidays included)
    and are cached per year, so deadline arithmetic costs a few dictionary look-ups.
    """

    zone: ZoneInfo
    hours: BusinessHours
    holiday_source: HolidaySource
    extra_holidays: Mapping[date, str] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})
    name: str = "calendar"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def holiday(self, day: date) -> str | None:
        """The holiday's name if ``day`` is one, else None."""
        return self.extra_holidays.get(day) or _year_holidays(self, day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and self.holiday(day) is None

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def local(self, instant: datetime) -> datetime:
        return require_aware(instant, "instant").astimezone(self.zone)

    def effective_receipt_day(self, received_at: datetime) -> date:
        """The business day a receipt counts on: itself if inside business hours, else the
        day of the next opening (before opening on a business day counts that same day)."""
        local = self.local(received_at)
        today = local.date()
        if self.is_business_day(today) and local.time() < self.hours.closes:
            return today
        return self.next_business_day(today)

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after ``day`` (``day`` itself not counted)."""
        return _add_business_days(self, day, n)

    def close_of(self, day: date) -> datetime:
        return datetime.combine(day, self.hours.closes, tzinfo=self.zone)

    def business_deadline(self, received_at: datetime, n: int) -> datetime:
        """Close of business on the n-th business day after the (effective) day of receipt."""
        local = self.local(received_at)
        return _deadline(self, local.date(), local.time() < self.hours.closes, n)

    def business_days_between(self, start: date, end: date) -> int:
        """Business days d with start < d <= end."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count


@lru_cache(maxsize=4096)
def _year_holidays(calendar: BusinessCalendar, year: int) -> Mapping[date, str]:
    return dict(calendar.holiday_source(year))


@lru_cache(maxsize=65536)
def _add_business_days(calendar: BusinessCalendar, day: date, n: int) -> date:
    if n < 0:
        raise InputError(f"cannot count {n} business days", allowed="0 or more")
    for _ in range(n):
        day = calendar.next_business_day(day)
    return day


@lru_cache(maxsize=65536)
def _deadline(calendar: BusinessCalendar, day: date, before_close: bool, n: int) -> datetime:
    if not (before_close and calendar.is_business_day(day)):
        day = calendar.next_business_day(day)
    return calendar.close_of(_add_business_days(calendar, day, n))


def no_holidays(_year: int) -> Mapping[date, str]:
    return {}


def calendar_days_between(zone: ZoneInfo, earlier: datetime, later: datetime) -> int:
    """Whole calendar days from the local date of ``earlier`` to that of ``later``."""
    return (later.astimezone(zone).date() - earlier.astimezone(zone).date()).days


def within_calendar_days(zone: ZoneInfo, event: datetime, at: datetime, days: int) -> bool:
    """True when ``at`` falls on or before the N-th calendar day after ``event`` (day N
    included) and not before the event itself."""
    if at < event:
        return False
    return calendar_days_between(zone, event, at) <= days
