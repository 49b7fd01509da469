"""Policies compiled by several threads at once (an API's first concurrent requests) all get
their calendars: the one-country import of the holiday adapter is not raced."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import threading
from refundable.adapters.holiday_calendar import jurisdiction
errors = []
def work(country):
    try:
        jurisdiction(country)
    except Exception as error:  # the race showed as KeyError: 'holidays.countries'
        errors.append(repr(error))
threads = [threading.Thread(target=work, args=(c,)) for c in ["ZA", "US", "DE", "GB"] * 4]
for t in threads: t.start()
for t in threads: t.join()
print(len(errors), errors[:1])
"""


def test_concurrent_first_imports_of_country_calendars_all_succeed() -> None:
    # a fresh interpreter: nothing of the holidays package imported yet
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                             check=True, timeout=120).stdout  # fmt: skip
        assert out.startswith("0 "), out
