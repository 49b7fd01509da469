"""The ledger CLI sub-app: reports and exports from a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from ledger_helpers import T0, open_tenant, zar
from typer.testing import CliRunner

from refundable.bootstrap import bootstrap
from refundable.core.time import FixedClock
from refundable.entrypoints.cli_ledger import app as cli
from refundable.ledger.payments import Method
from refundable.service import commands as c


def test_balances_statement_and_exports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    wired = bootstrap(url, FixedClock(T0))
    open_tenant(wired, "t1")
    wired.ledger.handle(c.TopUpWallet("t1", "k1", "p1", "C1", zar("12.50"), Method.eft, "bank", T0))
    wired.close()
    runner = CliRunner()
    balances = runner.invoke(cli, ["balances", "t1", "--db", url])
    assert balances.exit_code == 0, balances.output
    assert "wallet/C1/ZAR" in balances.output and "12.50" in balances.output
    statement = runner.invoke(cli, ["statement", "t1", "C1", "--db", url])
    assert "wallet_top_up" in statement.output
    out = tmp_path / "j.beancount"
    exported = runner.invoke(
        cli, ["export", "t1", "--format", "beancount", "--out", str(out), "--db", url]
    )
    assert exported.exit_code == 0 and "Liabilities:Wallet:C1:ZAR  -12.50 ZAR" in out.read_text()
    bad = runner.invoke(cli, ["export", "t1", "--format", "xml", "--db", url])
    assert bad.exit_code != 0
