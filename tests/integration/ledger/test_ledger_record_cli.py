"""`refundable ledger record ...` on a real SQLite file: finance records through the bus."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fakes import acme_policy_text
from refundable.entrypoints.cli_ledger import app as cli

REQUEST = """policy: conek
requested_at: 2026-03-03T10:00:00+02:00
reason: duplicate_charge
charge: {kind: subscription, amount: "30.00", currency: ZAR, charged_at: 2026-03-01T10:00:00+02:00}
"""


def test_finance_records_a_charge_payment_decision_and_refund(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'cli.db'}"]
    t = ["--tenant", "acme"]
    (tmp_path / "acme.yaml").write_text(acme_policy_text())
    (tmp_path / "req.yaml").write_text(REQUEST)
    run = CliRunner().invoke
    published = run(cli, ["record", "policy", str(tmp_path / "acme.yaml"), *t, "--key", "v1",
                          "--name", "Acme", *db])  # fmt: skip
    assert published.exit_code == 0, published.output
    at = ["--at", "2026-03-01T09:00:00+00:00"]
    steps = [
        ["charge", "inv1", "C1", "100.00", "ZAR", "--key", "c1", *at],
        ["payment", "p1", "C1", "100.00", "ZAR", "--provider", "stripe", "--key", "p1", *at],
        ["decision", "d1", "C1", str(tmp_path / "req.yaml"), "--key", "d1"],
        ["refund", "r1", "p1", "--decision", "d1", "--key", "r1", *at, "--json"],
    ]
    outs = []
    for step in steps:
        result = run(cli, ["record", *step, *t, *db])
        assert result.exit_code == 0, result.output
        outs.append(result.output)
    receipt = json.loads(outs[-1])
    assert receipt["ref"] == "r1" and receipt["details"]["refundable_left"] == "70.00"
    again = run(cli, ["record", *steps[-1], *t, *db])
    assert json.loads(again.output)["replayed"] is True
    balances = run(cli, ["balances", "acme", "--customer", "C1", *db])
    assert "receivable/C1/ZAR" in balances.output


def test_a_refused_record_exits_with_the_mapped_code_and_writes_nothing(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'cli.db'}"]
    run = CliRunner().invoke
    unknown = run(cli, ["record", "charge", "i1", "C1", "1.00", "ZAR", "--tenant", "ghost",
                        "--key", "k", *db])  # fmt: skip
    assert unknown.exit_code == 4 and "no tenant 'ghost'" in unknown.output
    (tmp_path / "acme.yaml").write_text(acme_policy_text())
    run(cli, ["record", "policy", str(tmp_path / "acme.yaml"), "--tenant", "acme", "--key", "v1",
              "--name", "Acme", *db])  # fmt: skip
    bad = run(cli, ["record", "charge", "i1", "C1", "0", "ZAR", "--tenant", "acme", "--key", "k",
                    *db])  # fmt: skip
    assert bad.exit_code == 2 and "RecordCharge.amount" in bad.output
    forged = run(cli, ["record", "refund", "r1", "p1", "--decision", "none", "--tenant", "acme",
                       "--key", "k2", *db])  # fmt: skip
    assert forged.exit_code == 4 and "no payment 'p1'" in forged.output
    assert run(cli, ["export", "acme", *db]).output.count("\n") <= 1  # header only


def test_a_plain_invoice_date_is_read_in_the_tenants_timezone(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'cli.db'}"]
    t = ["--tenant", "acme"]
    (tmp_path / "acme.yaml").write_text(acme_policy_text())
    dated = REQUEST.replace("currency: ZAR,", "currency: ZAR, invoice_date: 2026-03-01,")
    assert dated != REQUEST
    (tmp_path / "req.yaml").write_text(dated)
    run = CliRunner().invoke
    run(cli, ["record", "policy", str(tmp_path / "acme.yaml"), *t, "--key", "v1",
              "--name", "Acme", *db])  # fmt: skip
    decided = run(cli, ["record", "decision", "d1", "C1", str(tmp_path / "req.yaml"),
                        "--key", "d1", "--json", *t, *db])  # fmt: skip
    assert decided.exit_code == 0, decided.output
    assert json.loads(decided.output)["details"]["outcome"] == "approve"
    ghost = run(cli, ["record", "decision", "d2", "C1", str(tmp_path / "req.yaml"),
                      "--key", "d2", "--tenant", "ghost", *db])  # fmt: skip
    assert ghost.exit_code != 0 and "Traceback" not in ghost.output
