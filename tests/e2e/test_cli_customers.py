"""`refundable customers export|erase` in a subprocess, on a real SQLite file (ADR 0051)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from refundable.bootstrap import bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.service import commands as c
from refundable.service.seed import seed_demo_tenants

from .conftest import Runner

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_export_shows_personal_data_then_erase_keeps_only_the_amounts(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'customers.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(AT), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    app.bus.handle(c.RegisterCustomer("conek", "reg", "C1"))
    app.bus.handle(c.RecordCustomerProfile("conek", "p", "C1", AT, name="Ann", email="a@b.co"))
    app.bus.handle(c.RecordCharge("conek", "ch", "inv1", "C1", Money.of("310", "ZAR"), AT))
    app.close()
    before = run("customers", "export", "--tenant", "conek", "C1")
    assert before.returncode == 0, before.stderr
    data = json.loads(before.stdout)
    assert data["personal_data"]["email"] == "a@b.co"
    erased = run("customers", "erase", "--tenant", "conek", "C1", "--at", "2026-03-03T10:00+02:00")
    assert erased.returncode == 0, erased.stderr
    after = json.loads(run("customers", "export", "--tenant", "conek", "C1").stdout)
    assert after["personal_data"]["email"] is None
    assert after["erasures"][0]["fields"] == ["name", "email"]
    assert [x["amount"] for x in after["statement"]] == ["310.00"]
    missing = run("customers", "export", "--tenant", "conek", "ghost")
    assert missing.returncode == 4 and "no customer 'ghost'" in missing.stderr
