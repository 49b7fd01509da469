"""`refundable webhooks add`, `jobs run` sending a payout, `payouts list` and `webhooks
deliveries`, in subprocesses on a real SQLite file with the sandbox gateway in the data
directory: what an operator sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakes import T0, open_tenant
from outbox_kit import approved_payout
from refundable.bootstrap import bootstrap
from refundable.core.time import FixedClock

from .conftest import Runner


def test_an_operator_registers_an_endpoint_and_sees_a_payout_paid(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    monkeypatch.setenv("REFUNDABLE_DATA_DIR", str(tmp_path / "data"))
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    open_tenant(app, "acme")
    approved_payout(app, "acme", "case1")
    app.close()
    added = run("webhooks", "add", "--tenant", "acme", "ep1", "http://127.0.0.1:9/hook",
                "--events", "payout.settled")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "secret (shown once" in added.stdout and "whsec_" in added.stdout
    bad = run("webhooks", "add", "--tenant", "acme", "ep2", "ftp://nowhere")
    assert bad.returncode != 0 and "is not a webhook URL" in bad.stderr
    assert "Traceback" not in bad.stderr
    ran = json.loads(run("jobs", "run", "--json").stdout)
    assert ran["outbox"]["sent"] == 1
    [payout] = json.loads(run("payouts", "list", "--tenant", "acme", "--json").stdout)
    assert (payout["case_id"], payout["state"], payout["amount"]) == ("case1", "settled",
                                                                      "ZAR 40.00")  # fmt: skip
    assert (tmp_path / "data" / "sandbox-gateway.sqlite").exists()
    log = json.loads(run("webhooks", "deliveries", "--tenant", "acme", "--json").stdout)
    assert log == []  # nothing was sent to the endpoint: no case event was written
