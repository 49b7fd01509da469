"""Ledger commands for the CLI (mounted as ``refundable ledger``): read-only reports.

Only translates: arguments in, query, text out. The database URL comes from ``--db`` or
``REFUNDABLE_DB_URL`` (see ``bootstrap``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from refundable.bootstrap import bootstrap
from refundable.ledger.export import to_beancount, to_csv

app = typer.Typer(help="The ledger: balances, statements and journal exports.")

DB = typer.Option(None, "--db", help="database URL (default: REFUNDABLE_DB_URL or var/)")


@app.command()
def balances(tenant: str, customer: str | None = None, db: str | None = DB) -> None:
    """Balances of every account (or one customer's), on their normal side."""
    wired = bootstrap(db)
    for b in wired.queries.balances(tenant, owner=customer):
        typer.echo(f"{b.account.code:<48} {b.amount:>16} {b.account.commodity}")


@app.command()
def statement(tenant: str, customer: str, db: str | None = DB) -> None:
    """Every movement on one customer's accounts, with running balances."""
    wired = bootstrap(db)
    for s in wired.queries.statement(tenant, customer):
        typer.echo(
            f"{s.effective_at.isoformat()}  {s.kind:<20} {s.account:<36} "
            f"{s.amount:>12} {s.balance:>12}  {s.memo}"
        )


@app.command()
def export(
    tenant: str,
    fmt: str = typer.Option("csv", "--format", help="csv or beancount"),
    out: Path | None = None,
    db: str | None = DB,
) -> None:
    """Export the tenant's journal as CSV or Beancount text."""
    if fmt not in ("csv", "beancount"):
        raise typer.BadParameter("use csv or beancount", param_hint="--format")
    journal = bootstrap(db).queries.journal(tenant)
    text = to_csv(journal) if fmt == "csv" else to_beancount(journal, f"Refundable {tenant}")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)


# --- h7: `ledger record ...` (writes through the bus; see cli_record.py) ----------------------
from refundable.entrypoints.cli_record import app as _record_app  # noqa: E402

app.add_typer(_record_app, name="record")
