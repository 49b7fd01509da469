"""Business-day deadlines on the real South African calendar, and calendar-day windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from refundable.adapters.holiday_calendar import holiday_source
from refundable.core.errors import InputError
from refundable.core.time import (
    BusinessCalendar,
    BusinessHours,
    FixedClock,
    calendar_days_between,
    load_zone,
    no_holidays,
    parse_instant,
    within_calendar_days,
)

JHB = ZoneInfo("Africa/Johannesburg")
SAST = timezone(timedelta(hours=2))
NINE_TO_FIVE = BusinessHours(time(9), time(17))


def za_calendar(extra: dict[date, str] | None = None) -> BusinessCalendar:
    return BusinessCalendar(JHB, NINE_TO_FIVE, holiday_source("ZA"), extra or {})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SAST)


def close_on(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(17), tzinfo=JHB)


# --- the real ZA holidays --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Family Day"),
        ("2026-04-27", "Freedom Day"),
        ("2026-08-10", "National Women's Day (observed)"),
        ("2026-11-04", "Local Government Elections"),
    ],
)
def test_za_public_holidays_are_not_business_days(day, name):
    cal = za_calendar()
    assert cal.holiday(date.fromisoformat(day)) == name
    assert not cal.is_business_day(date.fromisoformat(day))


def test_ordinary_weekdays_are_business_days_and_weekends_are_not():
    cal = za_calendar()
    assert cal.is_business_day(date(2026, 3, 2))  # Monday
    assert not cal.is_business_day(date(2026, 3, 7))  # Saturday
    assert not cal.is_business_day(date(2026, 3, 8))  # Sunday
    assert cal.holiday(date(2026, 3, 2)) is None


def test_unknown_country_is_refused_with_what_is_allowed():
    with pytest.raises(InputError) as caught:
        holiday_source("XX")
    assert caught.value.where == "calendar.country"
    assert caught.value.message == "no public-holiday calendar for country 'XX'"
    assert "e.g. ZA" in (caught.value.allowed or "")


# --- business_deadline -----------------------------------------------------------------------


def test_deadline_for_a_request_inside_business_hours():
    # Mon 2 Mar counts as day 0; ten business days later is Mon 16 Mar.
    assert za_calendar().business_deadline(local("2026-03-02T10:00"), 10) == close_on("2026-03-16")


def test_request_after_close_counts_from_the_next_business_day():
    cal = za_calendar()
    assert cal.business_deadline(local("2026-03-02T17:30"), 10) == close_on("2026-03-17")
    # closing time itself is already outside business hours
    assert cal.business_deadline(local("2026-03-02T17:00"), 1) == close_on("2026-03-04")
    assert cal.business_deadline(local("2026-03-02T16:59"), 1) == close_on("2026-03-03")


def test_request_before_opening_counts_that_same_day():
    assert za_calendar().business_deadline(local("2026-03-03T07:00"), 1) == close_on("2026-03-04")


def test_request_on_a_weekend_counts_from_monday():
    cal = za_calendar()
    assert cal.effective_receipt_day(local("2026-03-07T11:00")) == date(2026, 3, 9)
    assert cal.business_deadline(local("2026-03-07T11:00"), 1) == close_on("2026-03-10")


def test_request_on_good_friday_skips_the_easter_weekend_and_family_day():
    cal = za_calendar()
    assert cal.effective_receipt_day(local("2026-04-03T10:00")) == date(2026, 4, 7)
    assert cal.business_deadline(local("2026-04-03T10:00"), 1) == close_on("2026-04-08")


@pytest.mark.parametrize(
    ("requested", "deadline"),
    [
        ("2026-04-24T10:00", "2026-04-28"),  # Freedom Day Mon 27 Apr skipped
        ("2026-08-07T10:00", "2026-08-11"),  # Women's Day observed Mon 10 Aug skipped
        ("2026-11-03T10:00", "2026-11-05"),  # election day Wed 4 Nov skipped
    ],
)
def test_one_business_day_skips_the_holiday(requested, deadline):
    assert za_calendar().business_deadline(local(requested), 1) == close_on(deadline)


def test_deadline_instant_is_in_the_calendar_zone_at_closing_time():
    deadline = za_calendar().business_deadline(local("2026-03-02T10:00"), 10)
    assert deadline.isoformat() == "2026-03-16T17:00:00+02:00"


def test_request_given_in_utc_is_counted_on_its_local_day():
    # 2026-03-02T15:30Z is 17:30 in Johannesburg: after close.
    at = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert za_calendar().effective_receipt_day(at) == date(2026, 3, 3)


def test_extra_holidays_are_closed_days():
    cal = za_calendar({date(2026, 12, 24): "Office closed"})
    assert cal.holiday(date(2026, 12, 24)) == "Office closed"
    # 24 Dec closed, 25 Christmas, 26-27 weekend: the next business day is Mon 28 Dec.
    assert cal.business_deadline(local("2026-12-23T10:00"), 1) == close_on("2026-12-28")
    assert za_calendar().business_deadline(local("2026-12-23T10:00"), 1) == close_on("2026-12-24")


def test_business_days_between_counts_after_start_up_to_end():
    cal = za_calendar()
    assert cal.business_days_between(date(2026, 4, 2), date(2026, 4, 8)) == 2  # 7 and 8 Apr
    assert cal.business_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_negative_business_days_are_refused():
    with pytest.raises(InputError, match="cannot count -1 business days"):
        za_calendar().add_business_days(date(2026, 3, 2), -1)


def test_without_holidays_only_weekends_are_closed():
    cal = BusinessCalendar(JHB, NINE_TO_FIVE, no_holidays)
    assert cal.is_business_day(date(2026, 4, 3))


# --- naive datetimes -------------------------------------------------------------------------


def test_naive_datetime_is_refused_by_the_calendar():
    with pytest.raises(InputError) as caught:
        za_calendar().business_deadline(datetime(2026, 3, 2, 10, 0), 1)  # noqa: DTZ001
    error = caught.value
    assert error.where == "instant"
    assert error.message == "datetime 2026-03-02T10:00:00 has no timezone"
    assert error.allowed == "ISO-8601 with an offset, e.g. 2026-03-02T10:15:00+02:00"


def test_naive_iso_text_is_refused_naming_the_field():
    with pytest.raises(InputError) as caught:
        parse_instant("2026-03-02T10:00:00", "requested_at")
    assert caught.value.where == "requested_at"
    assert str(caught.value) == (
        "requested_at: datetime 2026-03-02T10:00:00 has no timezone; "
        "allowed: ISO-8601 with an offset, e.g. 2026-03-02T10:15:00+02:00"
    )


def test_text_that_is_not_an_instant_is_refused():
    with pytest.raises(InputError, match="'yesterday' is not an ISO-8601 instant"):
        parse_instant("yesterday", "requested_at")
    assert parse_instant("2026-03-02T10:00:00+02:00", "x") == local("2026-03-02T10:00")


# --- calendar-day windows --------------------------------------------------------------------


def test_day_n_is_included_and_day_n_plus_one_excluded_across_local_midnight():
    charged = local("2026-03-01T23:30")  # 21:30 UTC
    assert within_calendar_days(JHB, charged, local("2026-03-08T23:59:59"), 7)
    assert not within_calendar_days(JHB, charged, local("2026-03-09T00:00"), 7)


def test_window_counts_local_days_even_when_instants_are_in_utc():
    charged = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 23:30 local, 1 Mar
    # 21:59Z on 8 Mar is 23:59 local: day 7. 22:00Z is midnight local: day 8.
    assert within_calendar_days(JHB, charged, datetime(2026, 3, 8, 21, 59, tzinfo=UTC), 7)
    assert not within_calendar_days(JHB, charged, datetime(2026, 3, 8, 22, 0, tzinfo=UTC), 7)
    # 30 minutes after the charge is already the next local day.
    assert calendar_days_between(JHB, charged, local("2026-03-02T00:00")) == 1


def test_window_excludes_instants_before_the_event():
    charged = local("2026-03-01T23:30")
    assert within_calendar_days(JHB, charged, charged, 0)
    assert not within_calendar_days(JHB, charged, local("2026-03-01T23:29"), 7)


# --- small pieces ----------------------------------------------------------------------------


def test_business_hours_must_open_before_they_close():
    with pytest.raises(InputError) as caught:
        BusinessHours(time(17), time(9))
    assert caught.value.where == "business_hours"
    assert caught.value.allowed == "opens before closes, same day"


def test_unknown_timezone_is_refused():
    with pytest.raises(InputError, match="unknown timezone 'Africa/Joburg'"):
        load_zone("Africa/Joburg")


def test_fixed_clock_always_says_the_same_instant():
    at = local("2026-03-02T10:00")
    clock = FixedClock(at)
    assert clock.now() == at
    assert clock.now() == clock.now()


def test_deadline_across_a_daylight_saving_change_closes_at_local_time():
    london = BusinessCalendar(ZoneInfo("Europe/London"), NINE_TO_FIVE, no_holidays)
    # Fri 27 Mar 2026 is GMT; clocks go forward on Sun 29 Mar; Mon 30 Mar closes 17:00 BST.
    deadline = london.business_deadline(datetime(2026, 3, 27, 10, 0, tzinfo=UTC), 1)
    assert deadline.isoformat() == "2026-03-30T17:00:00+01:00"
    assert deadline == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)
