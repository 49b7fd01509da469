"""The payout is paid exactly once however the worker dies (issue 10 §4): a forked worker is
SIGKILLed at every point of the payout path (each step of a send, just before and just after
every commit), under three gateway conditions (healthy; slow settlement, so the refund is
polled; answers lost after the refund was made); a restarted worker then drains to the end.
Each trial has two payouts; each must end with one refund at the gateway, one refund entry in
the ledger, and the payment's counters equal to it. At least 200 trials on SQLite; on PostgreSQL
the suite runs one pass of every point (about 80 trials), and ``bench/payout_crash_trials.py``
runs the points repeatedly for 200+ (recorded in docs/benchmarks.md, ADR 0067)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from payout_crash import Tally, count_points, new_tenant, sandbox_at, trial

from outbox_kit import PAID_AT
from refundable.adapters.payments.sandbox import Faults
from refundable.bootstrap import App, bootstrap
from refundable.core.time import FixedClock

CONDITIONS = {
    "healthy": Faults(),
    "slow settlement": Faults(slow_polls=1),
    "answers lost": Faults(timeout_after=0.5, seed=3),
}
SQLITE_TRIALS_EACH = 67  # x 3 conditions = 201 trials


@pytest.fixture
def shm() -> Iterator[Path]:
    """Files in memory where the machine has it: a SIGKILL loses nothing the kernel holds, so
    the trials test the same thing without waiting on the disk for every commit."""
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(dir=base) as d:
        yield Path(d)


def _every_point(app: App, tmp: Path, faults: Faults, at_least: int) -> Tally:
    """Every kill point of a trial under ``faults``, again and again, until ``at_least``
    trials (one pass when 1)."""
    gateway, tenant = sandbox_at(tmp), new_tenant(app)
    tally = Tally()
    while tally.trials < at_least:
        points = count_points(app, gateway, tenant, faults)
        assert points >= 20  # two payouts: claim, request, gateway, record... each
        for kill_at in range(1, points + 1):
            trial(app, gateway, tenant, faults, kill_at, tally)
            if at_least > 1 and tally.trials >= at_least:
                break
    return tally


@pytest.mark.parametrize("condition", CONDITIONS)
def test_sqlite_every_kill_point_pays_each_payout_once(shm: Path, condition: str) -> None:
    app = bootstrap(f"sqlite:///{shm / 'payouts.db'}", FixedClock(PAID_AT))
    try:
        tally = _every_point(app, shm, CONDITIONS[condition], SQLITE_TRIALS_EACH)
    finally:
        app.close()
    assert tally.problems == []
    assert tally.trials >= SQLITE_TRIALS_EACH  # x 3 conditions: at least 200 trials
    assert tally.killed >= tally.trials * _landing(CONDITIONS[condition])


@pytest.mark.postgres
@pytest.mark.parametrize("condition", CONDITIONS)
def test_postgresql_every_kill_point_pays_each_payout_once(
    postgresql_app: App, shm: Path, condition: str
) -> None:
    tally = _every_point(postgresql_app, shm, CONDITIONS[condition], 1)
    assert tally.problems == []
    assert tally.killed >= tally.trials * _landing(CONDITIONS[condition])


def _landing(faults: Faults) -> float:
    """The share of planned kills that must land. With random timeouts a trial can take a
    shorter path than the counted run (fewer retries), so its last points are not reached:
    the worker finishes, which is no problem, but no kill either."""
    return 0.9 if faults.timeout_after == 0 and faults.timeout_before == 0 else 0.5
