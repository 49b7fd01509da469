"""`refundable cases ...` in a subprocess, on a real SQLite file: an agent opens a case,
answers it, lists, shows and reports it; bad input is one clear line and writes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from refundable.bootstrap import bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.service import commands as c
from refundable.service.seed import seed_demo_tenants

from .conftest import Runner

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = ["--at", "2026-03-03T10:00:00+02:00"]


def test_an_agent_works_a_case_from_the_terminal(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    app.bus.handle(c.RecordCharge("conek", "c", "ch1", "C1", Money.of("499.00", "ZAR"), T0))
    app.bus.handle(c.RecordPayment("conek", "p", "p1", "C1", Money.of("499.00", "ZAR"),
                                   Method.card, "stripe", T0))  # fmt: skip
    app.close()
    opened = run("cases", "open", "k1", "--customer", "C1", "--charge", "ch1", "--payment", "p1",
                 "--reason", "duplicate_charge", "--tenant", "conek", "--key", "o1", *AT,
                 "--info", "explanation=charged twice",
                 "--facts", '{"charge": {"kind": "subscription"}}')  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert "awaiting_information" in opened.stdout and "missing: account" in opened.stdout
    answered = run("cases", "answer", "k1", "--tenant", "conek", "--key", "a1", *AT,
                   "--info", "account=c1@acme.test Acme", "--json")  # fmt: skip
    body = json.loads(answered.stdout)
    assert (body["state"], body["case_id"]) == ("paying", "k1")
    shown = run("cases", "show", "k1", "--tenant", "conek", "--json")
    history = json.loads(shown.stdout)["history"]
    assert [h["kind"] for h in history][-2:] == ["decided", "payout_requested"]
    listed = run("cases", "list", "--tenant", "conek", "--open")
    assert "k1" in listed.stdout and "paying" in listed.stdout
    final = run("cases", "appeal", "k1", "--tenant", "conek", "--key", "ap", *AT)
    assert final.returncode != 0 and "clause 8.2" in final.stderr
    queue = run("cases", "report", "--tenant", "conek", "--kind", "queue", "--json")
    assert json.loads(queue.stdout)[0]["stage"] == "payout"


def test_the_case_commands_show_times_in_the_tenants_zone(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conek's policy names Africa/Johannesburg (SAST, UTC+2): a case received at 08:00 UTC
    shows as 10:00 SAST everywhere an agent reads it, never as UTC."""
    url = f"sqlite:///{tmp_path / 'zones.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    app.bus.handle(c.RecordCharge("conek", "c", "ch1", "C1", Money.of("499.00", "ZAR"), T0))
    app.close()
    opened = run("cases", "open", "k1", "--customer", "C1", "--charge", "ch1", "--reason",
                 "billing_error", "--tenant", "conek", "--key", "o1",
                 "--at", "2026-03-02T08:00:00+00:00")  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    listed = run("cases", "list", "--tenant", "conek").stdout
    assert "received 2026-03-02 10:00 SAST" in listed and "+00:00" not in listed
    shown = run("cases", "show", "k1", "--tenant", "conek").stdout
    assert "received 2026-03-02 10:00 SAST" in shown
    assert "  2026-03-02 10:00 SAST  opened" in shown and "UTC" not in shown
    due = [line for line in shown.splitlines() if " due " in line]
    assert due and all(line.split(" due ")[1].split("  ")[0].endswith("SAST") for line in due)
    history = json.loads(run("cases", "show", "k1", "--tenant", "conek", "--json").stdout)
    assert history["timezone"] == "Africa/Johannesburg"
    assert history["history"][0]["at"] == "2026-03-02T10:00:00+02:00"
    audit = run("cases", "report", "--tenant", "conek", "--kind", "audit").stdout
    assert "at=2026-03-02 10:00 SAST" in audit
    queue = json.loads(run("cases", "report", "--tenant", "conek", "--json").stdout)
    assert queue[0]["due_at"].endswith("+02:00")


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["open", "k9", "--customer", "C1", "--reason", "whim", "--tenant", "conek", "--key",
          "x", *AT], "--reason"),
        (["open", "k9", "--customer", "C1", "--reason", "billing_error", "--tenant", "conek",
          "--key", "x", "--at", "yesterday"], "--at"),
        (["open", "k9", "--customer", "C1", "--reason", "billing_error", "--tenant", "conek",
          "--key", "x", *AT, "--info", "nokeyvalue"], "--info"),
        (["open", "k9", "--customer", "C1", "--reason", "billing_error", "--tenant", "conek",
          "--key", "x", *AT, "--facts", "{not json"], "--facts"),
        (["report", "--tenant", "conek", "--kind", "bogus"], "--kind"),
        (["show", "nope", "--tenant", "conek"], "case_id"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line_and_writes_nothing(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], where: str
) -> None:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    seed_demo_tenants(app.bus, shipped_policies_dir())
    done = run("cases", *args)
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error [") and where in line and "Traceback" not in done.stderr
    assert app.cases_read is not None and app.cases_read.cases("conek") == []
    app.close()
