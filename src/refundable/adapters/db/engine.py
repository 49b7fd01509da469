"""Engines for the two stores, migrations applied in code, and write transactions that wait
for the store a bounded time.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns only once it is on disk,
and readers never block the single writer. Write transactions start with ``BEGIN IMMEDIATE``
so the write lock is taken up front (two writers can never both read a balance and then both
spend it); read-only work asks for a deferred transaction through the ``readonly`` execution
option. Before ``BEGIN IMMEDIATE`` a writer waits its turn at the file's writer gate
(``writer_gate``: a FIFO queue within the process, a ``flock`` across processes), so writers
are served in order instead of polling in SQLite's busy handler (issue 11). A writer that
waits longer than ``busy_timeout_s`` (at the gate, or for a writer outside it in SQLite's
busy handler) gets :class:`StoreBusy`, never a raw ``OperationalError``.
PostgreSQL needs nothing special: handlers lock the rows they change (``SELECT ... FOR
UPDATE``), see docs/decisions/0012-concurrency.md.

Migrations run as the schema owner, by ``refundable db upgrade`` or at start when
``Settings.migrate_on_start`` says so (ADR 0033). On PostgreSQL they hold an advisory lock for
their transaction, so processes that start together on a fresh database take turns.
"""

from __future__ import annotations

import sqlite3
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, RootTransaction, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from refundable.adapters.db.errors import on_error
from refundable.adapters.db.prepared import enable_deferred_writes, refuse_unrecorded
from refundable.adapters.db.writer_gate import GatedConnection, gate_for
from refundable.core.errors import ConfigurationError, SchemaOutOfDate, StoreBusy

MIGRATIONS = Path(__file__).parent / "migrations"
READONLY = "refundable_readonly"
BUSY_TIMEOUT_S = 15.0
# pg_advisory_xact_lock key of the migrations: b"refundab" read as a signed 64-bit integer.
MIGRATION_LOCK = int.from_bytes(b"refundab", "big", signed=True)


def make_engine(url: str, *, busy_timeout_s: float = BUSY_TIMEOUT_S, **kw: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).
    ``busy_timeout_s`` bounds how long a SQLite writer waits for the write lock."""
    parsed = parse_db_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": busy_timeout_s, "factory": GatedConnection}
        engine = create_engine(url, connect_args=connect_args, **kw)
        _sqlite_durable(engine, busy_timeout_s, parsed.database)
    else:
        kw.setdefault("pool_size", 8)
        kw.setdefault("max_overflow", 24)
        engine = create_engine(url, **kw)
    # Out-of-range values and data errors leave as our errors, from writes and reads alike.
    event.listen(engine, "handle_error", on_error)
    enable_deferred_writes(engine)  # PostgreSQL: a posting's writes ride with its COMMIT
    return engine


SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


def parse_db_url(url: str) -> URL:
    """Parse a database URL, refusing kinds we do not support and PostgreSQL without its driver
    (psycopg ships only with the ``refundable[postgres]`` extra). Never echoes the URL: it may
    carry a password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            "the database URL is not a URL",
            where="--db / REFUNDABLE_DB_URL",
            allowed=SUPPORTED_URLS,
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"unsupported database kind {backend!r}",
            where="--db / REFUNDABLE_DB_URL",
            allowed=SUPPORTED_URLS,
        )
    if backend == "postgresql" and find_spec("psycopg") is None:
        raise ConfigurationError(
            "PostgreSQL support is not installed",
            where="--db / REFUNDABLE_DB_URL",
            allowed="install the extra: pip install 'refundable[postgres]'",
        )
    return parsed


def _sqlite_durable(engine: Engine, busy_timeout_s: float, database: str | None) -> None:
    gate = gate_for(database)  # shared by every engine of this process on the same file
    # a rehearsal records prepared statements only; any other statement ends it (ADR 0072)
    event.listen(engine, "before_cursor_execute", refuse_unrecorded)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        dbapi_connection.gate = gate
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        # A REPLACE that deletes a conflicting row then fires DELETE triggers (a second guard
        # behind the BEFORE INSERT triggers of migration 0003).
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READONLY, False):
            conn.exec_driver_sql("BEGIN")
            return
        # Writers queue at the gate first (fair, no polling), then take SQLite's lock.
        dbapi = conn.connection.driver_connection
        if not dbapi.hold_gate(busy_timeout_s):
            raise _busy(engine)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            dbapi.let_go()
            raise


def is_locked(err: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy", wrapped or raw."""
    orig = getattr(err, "orig", err)
    text_ = str(orig).lower()
    return isinstance(orig, sqlite3.OperationalError) and (
        "database is locked" in text_ or "database is busy" in text_
    )


def begin_write(engine: Engine) -> tuple[Connection, RootTransaction]:
    """A connection and its open write transaction, for a unit of work.

    On SQLite the writer first waits its turn at the file's writer gate (``writer_gate``: a
    FIFO queue in the process, a ``flock`` across processes), then ``BEGIN IMMEDIATE`` takes
    the write lock (SQLite's busy handler still waits for writers outside the gate). Each
    wait is bounded by the busy timeout; past it the caller gets :class:`StoreBusy` (a
    Conflict: nothing was written, try again later)."""
    conn = engine.connect()
    try:
        return conn, conn.begin()
    except BaseException as err:
        conn.close()
        if isinstance(err, OperationalError) and is_locked(err):
            raise _busy(engine) from None
        raise


def _busy(engine: Engine) -> StoreBusy:
    return StoreBusy(
        "the database stayed locked by other writers",
        where=str(engine.url.database or engine.url),
        allowed="retry later; each writer waits for the lock before giving up",
    )


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` on ``engine``'s database, in one
    transaction. PostgreSQL: under a transaction-scoped advisory lock, so concurrent migrators
    run one after the other (the later ones find the schema at head and do nothing). SQLite:
    the write lock of ``BEGIN IMMEDIATE`` does the same."""
    config = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)


def require_schema_at_head(engine: Engine) -> None:
    """Refuse to run on a database whose schema is not this version's: the running service
    does not migrate on PostgreSQL (it has no right to), so say what to do."""
    found, wanted = schema_revision(engine), head_revision()
    if found != wanted:
        raise SchemaOutOfDate(
            f"the database schema is at {found or 'nothing (never migrated)'}, "
            f"this version needs {wanted}",
            where=str(engine.url.render_as_string(hide_password=True)),
            allowed="run `refundable db upgrade` as the schema owner first",
        )
