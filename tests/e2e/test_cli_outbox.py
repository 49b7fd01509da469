"""`refundable webhooks add`, `jobs run` sending a payout, `payouts list` and `webhooks
deliveries`, in subprocesses on a real SQLite file with the sandbox gateway in the data
directory: what an operator sees."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from casefakes import charge_and_pay, open_case, policy_tenant, zar
from refundable.bootstrap import bootstrap
from refundable.cases.model import Subject
from refundable.core.time import UTC, FixedClock
from refundable.policy.facts import Reason

from .conftest import Runner


def test_an_operator_registers_an_endpoint_and_sees_a_payout_paid(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    monkeypatch.setenv("REFUNDABLE_DATA_DIR", str(tmp_path / "data"))
    at = datetime(2026, 8, 3, 8, tzinfo=UTC)
    app = bootstrap(url, FixedClock(at), apply_migrations=True)
    acme = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, acme, "C1", zar("40.00"), at)
    info = {"account": "c1@acme.example, Acme", "explanation": "charged twice"}
    facts = {"charge": {"kind": "subscription", "billing": "monthly"}}
    case_id, _ = open_case(app, acme, "C1", Subject.charge, ch, Reason.duplicate_charge, at,
                           payment_id=p, information=info, facts=facts)  # fmt: skip
    app.close()
    added = run("webhooks", "add", "--tenant", acme, "ep1", "http://127.0.0.1:9/hook",
                "--events", "case.paid")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "secret (shown once" in added.stdout and "whsec_" in added.stdout
    bad = run("webhooks", "add", "--tenant", acme, "ep2", "ftp://nowhere")
    assert bad.returncode != 0 and "is not a webhook URL" in bad.stderr
    assert "Traceback" not in bad.stderr
    ran = json.loads(run("jobs", "run", "--json").stdout)
    assert ran["outbox"]["sent"] >= 1
    [payout] = json.loads(run("payouts", "list", "--tenant", acme, "--json").stdout)
    assert (payout["case_id"], payout["state"], payout["amount"]) == (case_id, "settled",
                                                                      "ZAR 40.00")  # fmt: skip
    assert (tmp_path / "data" / "sandbox-gateway.sqlite").exists()
    log = json.loads(run("webhooks", "deliveries", "--tenant", acme, "--json").stdout)
    # the endpoint registered after the case opened, so it got only the later events (paid),
    # and nothing listens on port 9: each delivery failed and waits for its retry
    assert log and {e["endpoint_id"] for e in log} == {"ep1"}
    assert {e["outcome"] for e in log} == {"retry"}


def test_an_operator_lists_dead_letters_and_resends_one(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outbox_kit import write
    from refundable.service.ports import OutboxMessage

    url = f"sqlite:///{tmp_path / 'ops.db'}"
    monkeypatch.setenv("REFUNDABLE_DB_URL", url)
    monkeypatch.setenv("REFUNDABLE_DATA_DIR", str(tmp_path / "data"))
    at = datetime(2026, 8, 3, 8, tzinfo=UTC)
    app = bootstrap(url, FixedClock(at), apply_migrations=True)
    acme = policy_tenant(app, "conek")
    # an email with no subject: refused for good on its first try (dead)
    write(app, acme, OutboxMessage("mail-1", "email", {"to": "a@b.example", "text": "x"}, at))
    app.close()
    assert json.loads(run("jobs", "run", "--json").stdout)["outbox"]["dead"] == 1
    [dead] = json.loads(run("outbox", "dead", "--tenant", acme, "--json").stdout)
    assert (dead["message_id"], dead["kind"]) == ("mail-1", "email")
    assert "lacks subject" in dead["last_error"]
    args = ("--tenant", acme, "--by", "agent:ann", "--reason", "template fixed")
    first = run("outbox", "resend", "mail-1", *args)
    assert first.returncode == 0 and "state=queued again" in first.stdout, first.stderr
    second = run("outbox", "resend", "mail-1", *args)
    assert "state=already waiting to be sent" in second.stdout
    assert json.loads(run("outbox", "dead", "--tenant", acme, "--json").stdout) == []
    missing = run("outbox", "resend", "nope", *args)
    assert missing.returncode != 0 and "no outbox message 'nope'" in missing.stderr
    assert "Traceback" not in missing.stderr
