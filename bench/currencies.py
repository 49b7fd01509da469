"""Cold cost of the ISO-4217 table and the jurisdiction's weekend, against the cold-start limit.

Each figure is measured in a fresh interpreter (so nothing is cached), best of ``--rounds``:
* import: ``import refundable.core.money`` (the table is not read at import time);
* first check: the first ``Money.of(..., "ZAR")``, which reads ISO lists one and three;
* weekend year: the first Saudi weekend year from the ``holidays`` package.
The limit is the whole cold ``refundable decide`` budget (0.4 s, docs/benchmarks.md).

    .venv/bin/python bench/currencies.py --rounds 5
"""

from __future__ import annotations

import argparse
import subprocess
import sys

LIMIT_S = 0.4

PROBE = """
import time
t0 = time.perf_counter()
import refundable.core.money as m
t1 = time.perf_counter()
m.Money.of("1.00", "ZAR")
t2 = time.perf_counter()
from refundable.adapters.holiday_calendar import jurisdiction
place = jurisdiction("SA")
t3 = time.perf_counter()
place.weekend_days(2026)
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t4 - t3)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    runs = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
        )
        runs.append([float(x) for x in out.stdout.split()])
    names = ("import core.money", "first currency check", "first weekend year (SA)")
    for i, name in enumerate(names):
        best = min(r[i] for r in runs)
        print(
            f"{name:28} {best * 1000:7.2f} ms  limit {LIMIT_S * 1000:.0f} ms  "
            f"ratio {best / LIMIT_S:.3f}"
        )


if __name__ == "__main__":
    main()
