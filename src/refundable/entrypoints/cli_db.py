"""`refundable db ...`: the schema owner's commands (migrations, the runtime role's grants).

The running service does not migrate a PostgreSQL database (it connects as a role that could
not); an operator runs `refundable db upgrade` as the owner, then `refundable db grant-runtime
--role NAME` once per runtime role (again after upgrades that add updatable columns).
See docs/postgres-roles.md. Only translates: arguments in, adapters called, text out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from refundable.config import Settings
from refundable.core.errors import InputError, RefundableError, status_of

app = typer.Typer(no_args_is_help=True, help="The database: migrations and role grants.")

T = TypeVar("T")
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="the owner's database URL (default: REFUNDABLE_MIGRATE_DB_URL)"),
]


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except RefundableError as error:
        typer.echo(f"error [{error.code}] {error}", err=True)
        raise typer.Exit(status_of(error).exit_code) from None


def _owner_url(db: str | None) -> str:
    return db or Settings.from_env().resolved_migrate_db_url


@app.command()
def upgrade(db: DbOpt = None, revision: str = "head") -> None:
    """Apply the migrations (as the schema owner). Safe to run from several processes at once."""
    from refundable.adapters.db.engine import make_engine, migrate, schema_revision

    def run() -> str | None:
        engine = make_engine(_owner_url(db))
        try:
            migrate(engine, revision)
            return schema_revision(engine)
        finally:
            engine.dispose()

    typer.echo(f"schema at {_guard(run)}")


@app.command("grant-runtime")
def grant_runtime(
    role: Annotated[str, typer.Option("--role", help="the role the service connects as")],
    db: DbOpt = None,
    show: Annotated[bool, typer.Option("--print", help="print the SQL, run nothing")] = False,
) -> None:
    """Grant ROLE what the running service needs on PostgreSQL, and nothing more."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from refundable.adapters.db.engine import make_engine
    from refundable.adapters.db.roles import runtime_grants

    def run() -> list[str]:
        url = make_url(_owner_url(db))
        if url.get_backend_name() != "postgresql":
            raise InputError(
                "roles exist only on PostgreSQL", where="--db", allowed="a postgresql+psycopg URL"
            )
        stmts = runtime_grants(role, str(url.database))
        if not show:
            engine = make_engine(url.render_as_string(hide_password=False))
            try:
                with engine.begin() as conn:
                    for stmt in stmts:
                        conn.execute(text(stmt))
            finally:
                engine.dispose()
        return stmts

    for stmt in _guard(run):
        typer.echo(f"{stmt};")
