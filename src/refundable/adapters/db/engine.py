"""Engines for the two stores, and migrations applied in code.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns only once it is on disk,
and readers never block the single writer. Write transactions start with ``BEGIN IMMEDIATE``
so the write lock is taken up front (two writers can never both read a balance and then both
spend it); read-only work asks for a deferred transaction through the ``readonly`` execution
option. PostgreSQL needs nothing special: handlers lock the rows they change
(``SELECT ... FOR UPDATE``), see docs/decisions/0012-concurrency.md.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from refundable.core.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"
READONLY = "refundable_readonly"


def make_engine(url: str, **kw: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    parsed = parse_db_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kw)
        _sqlite_durable(engine)
        return engine
    kw.setdefault("pool_size", 8)
    kw.setdefault("max_overflow", 24)
    return create_engine(url, **kw)


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


def _sqlite_durable(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        # A REPLACE that deletes a conflicting row then fires DELETE triggers (a second guard
        # behind the BEFORE INSERT triggers of migration 0003).
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` on ``engine``'s database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
