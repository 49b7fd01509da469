"""The country check reads the holidays registry table instead of importing every country
module; it must accept exactly what the package itself lists."""

from __future__ import annotations

import holidays

from refundable.adapters.holiday_calendar import _supported


def test_the_registry_table_gives_the_same_countries_as_the_package():
    assert _supported() == frozenset(holidays.list_supported_countries())
    assert {"ZA", "ZAF", "SA", "UK"} <= _supported()
