"""Ledger commands for the CLI (mounted as ``refundable ledger``): read-only reports.

Only translates: arguments in, query, text out. The database URL comes from ``--db`` or
``REFUNDABLE_DB_URL`` (else the SQLite file in the per-user data directory). A report never
creates or migrates a database: a mistyped path is an error naming it, not an empty ledger.
Times are shown in the tenant policy's timezone, because people read local times.
SQLAlchemy is imported only when a command runs, so mounting this app costs nothing.
"""

from __future__ import annotations

from contextlib import closing
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from refundable.core.errors import ConfigurationError, NotFound, StoreUnavailable
from refundable.core.limits import MAX_LIST_ITEMS, STATEMENT_PAGE_LINES
from refundable.entrypoints.cli_support import GuardedGroup, escape, out, print_json

if TYPE_CHECKING:
    from refundable.adapters.db.queries import SqlLedgerQueries

app = typer.Typer(
    cls=GuardedGroup,
    no_args_is_help=True,
    help="The ledger: balances, statements and exports (read-only); record (writes).",
)


class ExportFormat(StrEnum):
    """The journal formats ``ledger export`` writes (listed in ``--help`` and in its errors)."""

    csv = "csv"
    beancount = "beancount"
    json = "json"


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: REFUNDABLE_DB_URL, else the per-user data directory)"
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


@app.command()
def balances(
    tenant: str,
    customer: Annotated[str | None, typer.Option(help="Only this customer's accounts")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Balances of every account (or one customer's), on their normal side."""
    found = open_reports(db).balances(tenant, owner=customer)
    if as_json:
        print_json(
            [
                {
                    "account": b.account.code,
                    "amount": str(b.amount),
                    "commodity": b.account.commodity,
                }
                for b in found
            ]
        )
        return
    table = _table(f"balances of {tenant}", ("account", "amount", "commodity"), right={1})
    for b in found:
        table.add_row(escape(b.account.code), str(b.amount), b.account.commodity)
    out().print(table)


@app.command()
def statement(
    tenant: str,
    customer: str,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[
        int,
        typer.Option(min=1, max=MAX_LIST_ITEMS, help="Show only the newest this many movements"),
    ] = STATEMENT_PAGE_LINES,
) -> None:
    """The newest movements on one customer's accounts (``--limit``) and the refunds of their
    payments among them, oldest first, in the tenant's local time, with running balances."""
    reports = open_reports(db)
    zone = tenant_zone(reports, tenant)
    lines = reports.statement(tenant, customer, limit=limit)
    if as_json:
        print_json([_statement_json(s, zone) for s in lines])
        return
    cols = ("time", "kind", "account", "amount", "balance", "memo")
    table = _table(f"statement of {customer} ({tenant}, {zone})", cols, right={3, 4})
    for s in lines:
        table.add_row(
            s.effective_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            s.kind,
            escape(s.account),
            str(s.amount),
            "" if s.balance is None else str(s.balance),
            escape(s.memo),
        )
    out().print(table)


def _statement_json(s: Any, zone: tzinfo) -> dict[str, Any]:
    return {
        "entry_id": s.entry_id,
        "effective_at": s.effective_at.astimezone(zone).isoformat(),
        "kind": s.kind,
        "account": s.account,
        "amount": str(s.amount),
        "balance": None if s.balance is None else str(s.balance),
        "memo": s.memo,
    }


@app.command()
def export(
    tenant: str,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Journal format", case_sensitive=False)
    ] = ExportFormat.csv,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout")] = None,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json")] = False,
) -> None:
    """Export the tenant's journal as CSV, Beancount or JSON, in the tenant's local time."""
    from refundable.ledger.export import to_beancount, to_csv, to_json

    reports = open_reports(db)
    zone = tenant_zone(reports, tenant)
    journal = reports.journal(tenant)
    if as_json or fmt is ExportFormat.json:
        text = to_json(journal, zone)
    elif fmt is ExportFormat.csv:
        text = to_csv(journal, zone)
    else:
        text = to_beancount(journal, f"Refundable {tenant}", zone)
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")


def _table(title: str, columns: tuple[str, ...], right: set[int]) -> Any:
    from rich.table import Table

    table = Table(title=escape(title), box=None, pad_edge=False)
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i in right else "left")
    return table


def tenant_zone(reports: SqlLedgerQueries, tenant: str) -> tzinfo:
    """The timezone of the tenant's policy, as the ledger recorded it when the tenant's policy
    was published."""
    from refundable.core.limits import echo
    from refundable.core.time import load_zone

    found = reports.tenant_timezones(tenant)
    if tenant not in found:
        known = ", ".join(reports.tenant_timezones()) or "none: publish a policy first"
        raise NotFound(
            f"no tenant {echo(tenant)} in this ledger", where="tenant", allowed=known[:200]
        )
    return load_zone(found[tenant])


def open_reports(db: str | None) -> SqlLedgerQueries:
    """The read side of an existing ledger database; never creates or migrates one."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from refundable.adapters.db.engine import READONLY, make_engine, parse_db_url
    from refundable.adapters.db.queries import SqlLedgerQueries
    from refundable.config import Settings

    url = Settings.from_env(db_url=db).resolved_db_url
    parsed = parse_db_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        _require_sqlite_file(parsed.database)
    try:
        engine = make_engine(url)
        with engine.execution_options(**{READONLY: True}).connect() as conn:
            tables = set(inspect(conn).get_table_names())
    except SQLAlchemyError as error:
        cause = type(getattr(error, "orig", None) or error).__name__
        raise StoreUnavailable(
            f"cannot open the ledger database ({cause})",
            where=shown,
            allowed="a reachable database (check --db / REFUNDABLE_DB_URL)",
        ) from None
    if "entries" not in tables:
        raise StoreUnavailable(
            "not a Refundable ledger database (no entries table)",
            where=shown,
            allowed="a database a Refundable command has written to",
        )
    return SqlLedgerQueries(engine)


def _require_sqlite_file(database: str | None) -> None:
    if not database or database == ":memory:":
        raise ConfigurationError(
            "a report needs a SQLite file, not an in-memory database",
            where="--db",
            allowed="sqlite:///PATH/TO/refundable.db",
        )
    if not Path(database).is_file():
        raise NotFound(
            f"no ledger database at {database}",
            where="--db",
            allowed="the path of an existing database (reports never create one)",
        )
    if not _has_ledger_tables(Path(database)):
        raise StoreUnavailable(
            "not a Refundable ledger database (no entries table)",
            where=database,
            allowed="a database a Refundable command has written to",
        )


def _has_ledger_tables(path: Path) -> bool:
    """Look before the engine opens the file read-write (its set-up would turn any file into
    a WAL database): a read-only connection that only reads the catalogue."""
    import sqlite3

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entries'"
            ).fetchone()
    except sqlite3.DatabaseError:
        return False
    return found is not None


# --- `ledger record ...` (writes through the bus; see cli_record.py) ----------------------
from refundable.entrypoints.cli_record import app as _record_app  # noqa: E402

app.add_typer(_record_app, name="record")
