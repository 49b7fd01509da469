"""The one place where configuration becomes wired objects.

``bootstrap()`` reads the database URL (argument, else ``REFUNDABLE_DB_URL``, else a SQLite
file under ``var/`` in the repository), creates the engine, applies the migrations and returns
the ledger's command bus and read side. Nothing here runs at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from refundable.adapters.clock import SystemClock
from refundable.adapters.db.engine import make_engine, migrate
from refundable.adapters.db.queries import SqlLedgerQueries
from refundable.adapters.db.uow import SqlUnitOfWork
from refundable.core.time import Clock
from refundable.service.bus import LedgerBus

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_db_url() -> str:
    return os.environ.get("REFUNDABLE_DB_URL") or f"sqlite:///{REPO_ROOT / 'var' / 'refundable.db'}"


@dataclass(frozen=True)
class App:
    engine: Engine
    ledger: LedgerBus
    queries: SqlLedgerQueries
    clock: Clock


def bootstrap(
    db_url: str | None = None, clock: Clock | None = None, apply_migrations: bool = True
) -> App:
    engine = make_engine(db_url or default_db_url())
    if apply_migrations:
        migrate(engine)
    the_clock = clock or SystemClock()
    bus = LedgerBus(lambda: SqlUnitOfWork(engine, the_clock))
    return App(engine, bus, SqlLedgerQueries(engine), the_clock)
