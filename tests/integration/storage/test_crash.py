"""Kill -9 trials at CI size: every step of a workload (just before and just after each of its
commits), a few random moments, and the first migration, on SQLite and PostgreSQL. After each
kill the workload is retried to the end in a fresh process and the store is checked: every
entry balanced, projections equal to the journal, every command applied exactly once, the
same final state as a run that never crashed. The long run is ``bench/crash_trials.py``."""

from __future__ import annotations

import random

from crash_harness import (
    Tally,
    migration_trial,
    reference,
    step_kills,
    trial,
)

from refundable.bootstrap import App

RANDOM_TRIALS = 6


def test_kill_at_every_step_then_retry_is_exactly_once(app: App) -> None:
    expected, _ = reference(app)
    tally = Tally()
    for kill in step_kills():
        trial(app, expected, tally, kill)
    assert tally.problems == []
    assert tally.killed == tally.trials == len(step_kills())  # every planned kill landed


def test_kill_at_random_moments_then_retry_is_exactly_once(app: App) -> None:
    expected, took = reference(app)
    rng = random.Random(8)
    tally = Tally()
    for _ in range(RANDOM_TRIALS):
        trial(app, expected, tally, rng.uniform(0, took))
    assert tally.problems == []
    assert tally.trials == RANDOM_TRIALS and tally.killed >= 1


def test_kill_during_the_first_migration_then_migrate_again(
    fresh_sqlite_url: str, fresh_pg_url: str
) -> None:
    tally = Tally()
    for url in (fresh_sqlite_url, fresh_pg_url):
        migration_trial(url, tally, "before_commit")
    assert tally.problems == []
    assert tally.trials == tally.killed == 2
