"""`refundable jobs run` and `refundable clock ...` in a subprocess, on a real SQLite file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from refundable.bootstrap import bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.ledger.lots import LotSource, LotStatus
from refundable.service import commands as c
from refundable.service.seed import seed_demo_tenants

from .conftest import Runner

BOUGHT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_tenant_on_a_test_clock_runs_its_due_work_only_when_the_clock_moves(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(BOUGHT), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    created = run("clock", "create", "--tenant", "conek", "c1", "2026-03-01T00:00:00+02:00")
    assert created.returncode == 0, created.stderr
    app.bus.handle(
        c.BuyCreditLot(
            "conek",
            "buy-1",
            "L1",
            "C1",
            100,
            Money.of("50", "ZAR"),
            LotSource.purchase,
            BOUGHT,
            c.PaidFrom.invoice,
        )
    )
    assert json.loads(run("jobs", "run", "--json").stdout) == {
        "ran": 0, "skipped": 0, "failed": 0,
        "outbox": {"sent": 0, "retried": 0, "waiting": 0, "dead": 0},
    }  # fmt: skip
    shown = json.loads(run("clock", "show", "--tenant", "conek", "--json").stdout)
    assert (shown["clock_id"], shown["pending"]) == ("c1", 1)
    assert shown["next_due_at"].startswith("2026-04-01T21:59:59")  # end of 1 April, SAST
    moved = run("clock", "advance", "--tenant", "conek", "c1", "2026-04-03T00:00:00+02:00",
                "--json")  # fmt: skip
    assert json.loads(moved.stdout) == {"ran": 1, "skipped": 0, "failed": 0}
    [lot] = app.queries.lots_of("conek", "C1")
    assert lot.status is LotStatus.expired
    back = run("clock", "advance", "--tenant", "conek", "c1", "2026-04-02T00:00:00+02:00")
    assert back.returncode != 0 and "only moves forward" in back.stderr
    assert "Traceback" not in back.stderr
    app.close()


def test_no_outbox_runs_the_due_work_and_leaves_the_sending_to_another_process(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from refundable.scheduling.model import ActionKind, ScheduledAction

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(BOUGHT), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    notice = ScheduledAction.new("conek", ActionKind.notice, "reminder", BOUGHT, {"n": "1"})
    with app.bus.uow_factory() as uow:
        uow.repositories("conek").schedule.add([notice])
        uow.commit()
    alone = run("jobs", "run", "--no-outbox", "--json")
    assert json.loads(alone.stdout) == {"ran": 1, "skipped": 0, "failed": 0}, alone.stderr
    assert len(app.work.outbox("conek")) == 1  # written by the due action, not sent yet
    then = json.loads(run("jobs", "run", "--json").stdout)
    assert then["ran"] == 0 and sum(then["outbox"].values()) == 1  # now the message was tried
