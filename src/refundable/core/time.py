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
* The weekend is the jurisdiction's: Friday-Saturday in Saudi Arabia, Saturday-Sunday in South
  Africa, as the ``holidays`` package records it, including when a country changed it
  (docs/decisions/0025-calendars-and-currencies-from-maintained-sources.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
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

WeekendSource = Callable[[int], frozenset[date]]
"""Gives the weekend days of one year (dates, not weekdays: a country can change its weekend
on a given day, as the UAE did on 1 January 2022, and make-up working days fall on weekends)."""

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class BusinessCalendar:
    """The jurisdiction's working week, minus its public holidays and one-off closures.

    Holidays come from a :data:`HolidaySource` (observed days and one-off holidays included)
    and are cached per year, so deadline arithmetic costs a few dictionary look-ups. The
    weekend comes from a :data:`WeekendSource` when the jurisdiction gives one (its dates are
    cached per year too); without one, ``weekend`` (weekday numbers, Monday = 0) applies to
    every week.
    """

    zone: ZoneInfo
    hours: BusinessHours
    holiday_source: HolidaySource
    extra_holidays: Mapping[date, str] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})
    name: str = "calendar"
    weekend_source: WeekendSource | None = None

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def holiday(self, day: date) -> str | None:
        """The holiday's name if ``day`` is one, else None."""
        return self.extra_holidays.get(day) or _year_holidays(self, day.year).get(day)

    def is_weekend(self, day: date) -> bool:
        if self.weekend_source is None:
            return day.weekday() in self.weekend
        return day in _year_weekend(self, day.year)

    def is_business_day(self, day: date) -> bool:
        return not self.is_weekend(day) and self.holiday(day) is None

    def working_week(self, on: date) -> str:
        """The working days of the week holding ``on``, in words ("Sunday-Thursday"): the
        weekend can differ by year or subdivision, so it is read from the weekend itself."""
        monday = on - timedelta(days=on.weekday())
        week = (monday + timedelta(days=i) for i in range(7))
        return working_week_text(frozenset(d.weekday() for d in week if self.is_weekend(d)))

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


@lru_cache(maxsize=4096)
def _year_weekend(calendar: BusinessCalendar, year: int) -> frozenset[date]:
    source = calendar.weekend_source
    return frozenset(source(year)) if source is not None else frozenset()


def working_week_text(weekend: frozenset[int]) -> str:
    """Name the working days; a run that wraps round the week reads "Sunday-Thursday"."""
    working = [d for d in range(7) if d not in weekend]
    if not working:
        return "no working days"
    # Start the run just after a weekend day so that a wrapping run stays in one piece.
    start = next((d + 1 for d in sorted(weekend, reverse=True) if (d + 1) % 7 not in weekend), 0)
    ordered = [(start + i) % 7 for i in range(7) if (start + i) % 7 not in weekend]
    contiguous = all((b - a) % 7 == 1 for a, b in pairwise(ordered))
    names = [WEEKDAY_NAMES[d] for d in ordered]
    if contiguous and len(names) > 2:
        return f"{names[0]}-{names[-1]}"
    return ", ".join(names)


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
