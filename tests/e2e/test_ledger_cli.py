"""`refundable ledger ...` end to end: a real process reading a SQLite ledger written through the
service, with the tenant's policy (acme, Africa/Johannesburg, UTC+2) giving the local time."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakes import open_tenant, refund, zar
from refundable.bootstrap import bootstrap
from refundable.core.methods import Method
from refundable.core.time import FixedClock
from refundable.service import commands as c

BEAN_CHECK = Path(sys.executable).parent / "bean-check"
# 23:30 on 31 March in Johannesburg is 21:30 UTC: still March in both.
LATE_MARCH_LOCAL = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
# 22:30 UTC on 31 March is 00:30 on 1 April in Johannesburg: April's books, not March's.
EARLY_APRIL_LOCAL = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)


@pytest.fixture
def ledger_db(tmp_path: Path) -> str:
    """A ledger for tenant acme (Conek's policy: Africa/Johannesburg): an invoice paid by card
    the same minute it was raised (the payment recorded first), a card refund of part of it,
    and a late-evening EFT top-up."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    wired = bootstrap(url, FixedClock(LATE_MARCH_LOCAL), apply_migrations=True)
    open_tenant(wired, "acme")
    handle = wired.ledger.handle
    card, eft = Method.card, Method.eft
    handle(
        c.RecordPayment("acme", "k-pay", "pay1", "C1", zar("100"), card, "stripe", LATE_MARCH_LOCAL)
    )
    handle(c.RecordCharge("acme", "k-chg", "inv1", "C1", zar("100"), LATE_MARCH_LOCAL))
    refund(wired, "acme", "k-ref", "ref1", "pay1", "40", when=EARLY_APRIL_LOCAL)
    handle(c.TopUpWallet("acme", "k-top", "top1", "C1", zar("25"), eft, "bank", EARLY_APRIL_LOCAL))
    wired.close()
    return url


def test_a_mistyped_database_path_is_an_error_naming_it_and_creates_nothing(
    run, tmp_path, policy_dir
):
    missing = tmp_path / "typo" / "ledgr.db"
    for command in (["balances", "acme"], ["statement", "acme", "C1"], ["export", "acme"]):
        result = run("ledger", *command, "--db", f"sqlite:///{missing}")
        assert result.returncode == 4, result.stderr
        assert result.stderr.strip() == (
            f"error [not_found] --db: no ledger database at {missing}; "
            "allowed: the path of an existing database (reports never create one)"
        )
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert not missing.parent.exists()


def test_errors_are_json_on_stderr_with_json(run, tmp_path, policy_dir):
    result = run("ledger", "balances", "acme", "--db", f"sqlite:///{tmp_path}/no.db", "--json")
    assert result.returncode == 4
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert (error["code"], error["where"]) == ("not_found", "--db")


def test_a_file_that_is_not_a_ledger_is_refused_and_left_alone(run, tmp_path, policy_dir):
    other = tmp_path / "other.db"
    other.write_bytes(b"")
    result = run("ledger", "balances", "acme", "--db", f"sqlite:///{other}")
    assert result.returncode == 69, result.stderr
    assert "[store_unavailable]" in result.stderr and "not a Refundable ledger" in result.stderr
    assert other.read_bytes() == b""


def test_a_postgres_server_that_does_not_answer_is_one_line(run, policy_dir):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = run("ledger", "balances", "acme", "--db", url)
    assert result.returncode == 69
    assert result.stderr.startswith("error [store_unavailable] postgresql+psycopg://nobody@")
    assert len(result.stderr.strip().splitlines()) == 1


def test_statement_in_local_time_charge_first_and_refunds_on_it(run, ledger_db, policy_dir):
    result = run("ledger", "statement", "acme", "C1", "--db", ledger_db, "--json")
    assert result.returncode == 0, result.stderr
    lines = json.loads(result.stdout)
    kinds = [(x["kind"], x["effective_at"], x["amount"], x["balance"]) for x in lines]
    assert kinds == [
        ("charge", "2026-03-31T23:30:00+02:00", "100.00", "100.00"),
        ("payment", "2026-03-31T23:30:00+02:00", "-100.00", "0.00"),
        ("refund", "2026-04-01T00:30:00+02:00", "40.00", None),
        ("wallet_top_up", "2026-04-01T00:30:00+02:00", "25.00", "25.00"),
    ]
    assert lines[2]["account"] == "clearing/stripe/ZAR"
    page = run("ledger", "statement", "acme", "C1", "--db", ledger_db, "--json", "--limit", "2")
    assert page.returncode == 0, page.stderr
    newest = [(x["kind"], x["amount"], x["balance"]) for x in json.loads(page.stdout)]
    assert newest == [
        ("payment", "-100.00", "0.00"),
        ("refund", "40.00", None),
        ("wallet_top_up", "25.00", "25.00"),
    ]
    table = run("ledger", "statement", "acme", "C1", "--db", ledger_db)
    assert table.returncode == 0, table.stderr
    rows = [r for r in table.stdout.splitlines() if r.startswith("2026-")]
    assert [r.split()[:3] for r in rows] == [
        ["2026-03-31", "23:30", "charge"],
        ["2026-03-31", "23:30", "payment"],
        ["2026-04-01", "00:30", "refund"],
        ["2026-04-01", "00:30", "wallet_top_up"],
    ]
    assert "Africa/Johannesburg" in table.stdout


def test_beancount_is_dated_by_the_local_day_and_passes_bean_check(
    run, ledger_db, tmp_path, policy_dir
):
    out = tmp_path / "acme.beancount"
    result = run(
        "ledger", "export", "acme", "--format", "beancount", "--out", str(out), "--db", ledger_db
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    dated = [line.split(" * ")[0] for line in text.splitlines() if " * " in line]
    assert dated == ["2026-03-31", "2026-03-31", "2026-04-01", "2026-04-01"]
    assert '  at: "2026-04-01T00:30:00+02:00"' in text
    check = subprocess.run([str(BEAN_CHECK), str(out)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_csv_and_json_exports_carry_local_times(run, ledger_db, policy_dir):
    csv = run("ledger", "export", "acme", "--db", ledger_db)
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines()[1].split(",")[2] == "2026-03-31T23:30:00+02:00"
    body = json.loads(run("ledger", "export", "acme", "--json", "--db", ledger_db).stdout)
    assert [e["kind"] for e in body] == ["charge", "payment", "refund", "wallet_top_up"]
    assert body[0]["lines"][0]["amount"] == "100.00"


def test_balances_table_and_json(run, ledger_db, policy_dir):
    table = run("ledger", "balances", "acme", "--customer", "C1", "--db", ledger_db)
    assert table.returncode == 0, table.stderr
    assert any(r.split() == ["wallet/C1/ZAR", "25.00", "ZAR"] for r in table.stdout.splitlines())
    body = json.loads(run("ledger", "balances", "acme", "--json", "--db", ledger_db).stdout)
    assert {"account": "wallet/C1/ZAR", "amount": "25.00", "commodity": "ZAR"} in body


def test_export_formats_are_fixed_and_listed(run, ledger_db, policy_dir):
    bad = run("ledger", "export", "acme", "--format", "xml", "--db", ledger_db)
    assert bad.returncode == 2
    assert "'xml' is not one of 'csv', 'beancount', 'json'" in bad.stderr
    helped = run("ledger", "export", "-h")
    assert helped.returncode == 0
    assert "csv" in helped.stdout and "beancount" in helped.stdout and "json" in helped.stdout


def test_an_unknown_tenant_is_named_with_the_known_ones(run, ledger_db, policy_dir):
    result = run("ledger", "statement", "t9", "C1", "--db", ledger_db)
    assert result.returncode == 4
    assert (
        result.stderr.strip()
        == "error [not_found] tenant: no tenant 't9' in this ledger; allowed: acme"
    )
