"""The weekend comes from the jurisdiction: Friday-Saturday in Saudi Arabia, Saturday-Sunday in
South Africa, and the day the UAE moved its weekend; no deadline lands on a local weekend."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from refundable.adapters.holiday_calendar import jurisdiction
from refundable.core.time import BusinessCalendar, BusinessHours, no_holidays, working_week_text

RIYADH = ZoneInfo("Asia/Riyadh")
NINE_TO_FIVE = BusinessHours(time(9), time(17))
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6


def sa_calendar() -> BusinessCalendar:
    place = jurisdiction("SA")
    return BusinessCalendar(
        RIYADH, NINE_TO_FIVE, place.holidays, {}, place.weekend, "sa", place.weekend_days
    )


# --- the adapter reads the package's weekend ---------------------------------------------------


@pytest.mark.parametrize(
    ("country", "weekend"),
    [("ZA", {SATURDAY, SUNDAY}), ("SA", {FRIDAY, SATURDAY}), ("IL", {FRIDAY, SATURDAY})],
)
def test_each_jurisdiction_has_its_own_weekend(country, weekend):
    assert jurisdiction(country).weekend == frozenset(weekend)


def test_weekend_days_are_dates_of_the_year_on_the_jurisdictions_weekdays():
    days = jurisdiction("SA").weekend_days(2026)
    assert date(2026, 6, 12) in days  # a Friday
    assert date(2026, 6, 13) in days  # a Saturday
    assert date(2026, 6, 14) not in days  # a Sunday is a working day there
    assert {d.weekday() for d in days} == {FRIDAY, SATURDAY}


def test_a_weekend_changed_by_law_is_honoured_on_both_sides_of_the_change():
    # The UAE moved from Friday-Saturday to Saturday-Sunday on 1 January 2022.
    uae = jurisdiction("AE")
    assert date(2021, 6, 4) in uae.weekend_days(2021)  # Friday, then a weekend day
    assert date(2023, 6, 2) not in uae.weekend_days(2023)  # Friday, now a working day
    assert date(2023, 6, 4) in uae.weekend_days(2023)  # Sunday, now a weekend day


# --- the calendar counts with it ------------------------------------------------------------


def test_friday_and_saturday_are_not_business_days_in_saudi_arabia():
    cal = sa_calendar()
    assert not cal.is_business_day(date(2026, 6, 12))  # Friday
    assert not cal.is_business_day(date(2026, 6, 13))  # Saturday
    assert cal.is_business_day(date(2026, 6, 14))  # Sunday
    assert cal.next_business_day(date(2026, 6, 11)) == date(2026, 6, 14)  # Thu -> Sun


def test_no_deadline_lands_on_a_friday_or_saturday_in_saudi_arabia():
    cal = sa_calendar()
    start = datetime(2026, 6, 1, 10, tzinfo=RIYADH)
    for offset in range(14):
        received = start + timedelta(days=offset, hours=offset % 2 * 9)  # in and after hours
        for n in range(1, 8):
            deadline = cal.business_deadline(received, n)
            assert deadline.weekday() not in (FRIDAY, SATURDAY), (received, n, deadline)


def test_a_weekend_given_as_weekdays_applies_without_a_jurisdiction():
    cal = BusinessCalendar(RIYADH, NINE_TO_FIVE, no_holidays, weekend=frozenset({FRIDAY}))
    assert not cal.is_business_day(date(2026, 6, 12))  # Friday
    assert cal.is_business_day(date(2026, 6, 13))  # Saturday
    assert cal.add_business_days(date(2026, 6, 11), 1) == date(2026, 6, 13)


def test_the_default_weekend_is_saturday_and_sunday():
    cal = BusinessCalendar(RIYADH, NINE_TO_FIVE, no_holidays)
    assert cal.is_business_day(date(2026, 6, 12))  # Friday
    assert not cal.is_business_day(date(2026, 6, 13))
    assert not cal.is_business_day(date(2026, 6, 14))


@pytest.mark.parametrize(
    ("weekend", "text"),
    [
        ({SATURDAY, SUNDAY}, "Monday-Friday"),
        ({FRIDAY, SATURDAY}, "Sunday-Thursday"),
        ({FRIDAY}, "Saturday-Thursday"),
        ({FRIDAY, SUNDAY}, "Monday, Tuesday, Wednesday, Thursday, Saturday"),
    ],
)
def test_the_working_week_is_named_for_people(weekend, text):
    assert working_week_text(frozenset(weekend)) == text


def test_the_calendar_names_the_working_week_of_a_given_day():
    assert sa_calendar().working_week(date(2026, 6, 10)) == "Sunday-Thursday"
