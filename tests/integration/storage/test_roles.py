"""Split roles on real PostgreSQL: the owner migrates, the runtime role posts but cannot
rewrite history or remove its guards (issue 8: the service connected as the table owner)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from storage_helpers import at, history, open_tenant, snapshot
from typer.testing import CliRunner

from refundable.adapters.db.engine import head_revision
from refundable.adapters.db.repository_access import SqlIdempotency
from refundable.bootstrap import bootstrap
from refundable.core.errors import SchemaOutOfDate
from refundable.core.time import UTC, FixedClock
from refundable.entrypoints.cli import app as cli
from refundable.service import commands as c

pytestmark = pytest.mark.postgres
HISTORY = ["entries", "lines", "payment_returns", "usage_events", "holds", "hold_releases"]


@pytest.fixture
def runtime_role(fresh_pg_url: str) -> Iterator[str]:
    """A login role with no rights of its own (dropped after the test's database)."""
    role = f"refundable_rt_{uuid.uuid4().hex[:10]}"
    admin = create_engine(fresh_pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    try:
        yield role
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
        admin.dispose()
        # the role owns nothing now; its grants went with DROP OWNED
        other = create_engine(
            make_url(fresh_pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with other.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        other.dispose()


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


ATTACKS = [
    "UPDATE lines SET amount = 1",
    "DELETE FROM lines",
    "TRUNCATE lines",
    "TRUNCATE payments",
    "DELETE FROM idempotency",
    "UPDATE payments SET amount_minor = 1",
    "UPDATE accounts SET owner = 'x'",
    "UPDATE accounts SET balance = balance + 100000",  # then overdraw past the floor check
    "UPDATE accounts SET balance = 0",
    "UPDATE lots SET remaining = units",  # refill a used lot (ADR 0042)
    "UPDATE lots SET value_left_minor = 0, status = 'forfeited'",
    "DELETE FROM lots",
    "TRUNCATE lots",
    "ALTER TABLE lines DISABLE TRIGGER ALL",
    "ALTER TABLE lines DISABLE TRIGGER lines_append_only",
    "DROP TRIGGER lines_append_only ON lines",
    "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_balance_limit",
    "DROP TABLE payment_returns",
    "SET session_replication_role = replica",
    "CREATE OR REPLACE FUNCTION refundable_append_only() RETURNS trigger AS "
    "$$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TABLE lines_copy (x int)",
    "INSERT INTO alembic_version VALUES ('x')",
]


def test_runtime_role_posts_but_cannot_rewrite_history(
    fresh_pg_url: str, runtime_role: str
) -> None:
    runner = CliRunner()
    up = runner.invoke(cli, ["db", "upgrade", "--db", fresh_pg_url])
    assert up.exit_code == 0 and f"schema at {head_revision()}" in up.output, up.output
    granted = runner.invoke(
        cli, ["db", "grant-runtime", "--role", runtime_role, "--db", fresh_pg_url]
    )
    assert granted.exit_code == 0, granted.output

    runtime_url = _as(fresh_pg_url, runtime_role)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    app = bootstrap(runtime_url, clock)  # no migration at start on PostgreSQL
    try:
        open_tenant(app, "t1")
        history(app, "t1")  # every kind of write the service makes: payments, lots, usage, holds
        before = snapshot(app.db, "t1", [*HISTORY, "payments", "accounts", "lots"])
        assert all(before[t] for t in HISTORY)
        plain = runtime_url.replace("+psycopg", "")
        for sql in ATTACKS:
            with psycopg.connect(plain) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(sql)
        with psycopg.connect(plain) as raw, pytest.raises(psycopg.errors.RaiseException):
            raw.execute("UPDATE payments SET refunded_minor = 0")  # allowed column, wrong sum
        with psycopg.connect(plain) as raw, pytest.raises(psycopg.errors.RaiseException):
            raw.execute("UPDATE lots SET unit = 'other'")  # the FOR UPDATE column, refused
        assert snapshot(app.db, "t1", [*HISTORY, "payments", "accounts", "lots"]) == before
        # the one DELETE it holds: HTTP idempotency records past their retention (ADR 0068)
        store = SqlIdempotency(app.engine)
        store.claim("t1", "old-key", "f" * 64, at(0) - timedelta(days=2))
        assert store.purge(at(0) - timedelta(days=1), 100) == 1
        # the lot counters move for the runtime role through the journal (ADR 0042)
        app.ledger.handle(c.ForfeitCredits("t1", "ff1", "C1", c.ForfeitReason.closure, at(4)))
        lots = snapshot(app.db, "t1", ["lots"])["lots"]
        assert lots and {(r[5], r[13]) for r in lots} == {(0, "forfeited")}
    finally:
        app.close()


def test_the_service_refuses_an_unmigrated_postgresql_database(fresh_pg_url: str) -> None:
    with pytest.raises(SchemaOutOfDate, match="db upgrade"):
        bootstrap(fresh_pg_url)


def test_grant_runtime_refuses_a_bad_role_name(fresh_pg_url: str) -> None:
    bad = CliRunner().invoke(
        cli, ["db", "grant-runtime", "--role", "x; DROP", "--db", fresh_pg_url]
    )
    assert bad.exit_code == 2 and "invalid_input" in bad.output
