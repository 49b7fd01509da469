"""`refundable jobs checkpoints` in a subprocess, on a real SQLite file: the checkpoint job is
put on a tenant's schedule once, `jobs run` runs it with the other due work, and it stays on
the schedule for the next day (ADR 0045)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from refundable.bootstrap import bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.time import FixedClock
from refundable.service.seed import seed_demo_tenants

from .conftest import Runner


def test_the_checkpoint_job_is_scheduled_once_and_run_by_jobs_run(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(datetime(2026, 3, 1, tzinfo=UTC)), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    for _ in range(2):  # asked twice: scheduled once
        done = run("jobs", "checkpoints", "--tenant", "kero", "--at", "2026-01-01T00:00:00+00:00")
        assert done.returncode == 0, done.stderr
    ran = json.loads(run("jobs", "run", "--json").stdout)
    due = {k: ran[k] for k in ("ran", "skipped", "failed")}
    assert due == {"ran": 1, "skipped": 0, "failed": 0}
    assert ran["outbox"]["dead"] == 0  # `jobs run` also drains the outbox (ADR 0056)
    shown = json.loads(run("clock", "show", "--tenant", "kero", "--json").stdout)
    assert shown["pending"] == 1  # the next run, on the daily grid after now
    assert datetime.fromisoformat(shown["next_due_at"]) > datetime.now(UTC)
    bad = run("jobs", "checkpoints", "--tenant", "kero", "--at", "tomorrow")
    assert bad.returncode != 0 and "not an instant" in bad.stderr
    app.close()
