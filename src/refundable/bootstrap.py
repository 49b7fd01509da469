"""The one place where configuration becomes wired objects.

Two halves, both built on demand and never at import time:

* the decision side: where the policies and example requests live, the registry of compiled
  policies (compiled once per process), and the call that decides under the version in force;
* the ledger side: ``bootstrap()`` reads the database URL (argument, else ``REFUNDABLE_DB_URL``,
  else a SQLite file in the per-user data directory), creates the engine, applies the
  migrations and returns the ledger's command bus and read side.

The database adapters are imported inside ``bootstrap()``, so commands that only decide (the
CLI's ``decide``, ``policy ...``) start without loading SQLAlchemy and Alembic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from refundable.config import Settings, shipped_examples_dir
from refundable.core.time import Clock
from refundable.policy.decision import Decision
from refundable.policy.engine import decide as decide_request
from refundable.policy.facts import Request
from refundable.policy.registry import PolicyRegistry

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from refundable.adapters.db.queries import SqlLedgerQueries
    from refundable.service.bus import LedgerBus


# --- decision side ----------------------------------------------------------------------------


def policies_dir(settings: Settings | None = None) -> Path:
    """REFUNDABLE_POLICIES, else the shipped policies (package data)."""
    return (settings or Settings.from_env()).resolved_policies_dir


def examples_dir() -> Path:
    return shipped_examples_dir()


@lru_cache(maxsize=8)
def _load(root: Path) -> PolicyRegistry:
    return PolicyRegistry.load(root)


def registry(root: Path | None = None) -> PolicyRegistry:
    """The compiled policies under root (compiled once per process)."""
    return _load((root or policies_dir()).resolve())


def decide(reg: PolicyRegistry, request: Request) -> Decision:
    """Decide under the policy version in force when the request was made."""
    return decide_request(reg.in_force(request.policy, request.requested_at), request)


# --- ledger side ------------------------------------------------------------------------------


def default_db_url(settings: Settings | None = None) -> str:
    return (settings or Settings.from_env()).resolved_db_url


@dataclass(frozen=True)
class App:
    engine: Engine
    ledger: LedgerBus
    queries: SqlLedgerQueries
    clock: Clock


def bootstrap(
    db_url: str | None = None,
    clock: Clock | None = None,
    apply_migrations: bool | None = None,
    settings: Settings | None = None,
) -> App:
    """Wire the ledger. Migrations run here only when asked (``apply_migrations``) or, by
    default, when ``Settings.migrate_on_start`` says so (embedded SQLite); otherwise the
    schema must already be at head (``refundable db upgrade``, ADR 0033)."""
    from refundable.adapters.clock import SystemClock
    from refundable.adapters.db.engine import make_engine, migrate, require_schema_at_head
    from refundable.adapters.db.queries import SqlLedgerQueries
    from refundable.adapters.db.uow import SqlUnitOfWork
    from refundable.service.bus import LedgerBus

    wanted = settings or Settings.from_env(db_url=db_url)
    engine = make_engine(db_url or wanted.resolved_db_url)
    if wanted.resolved_migrate_on_start if apply_migrations is None else apply_migrations:
        migrate(engine)
    else:
        require_schema_at_head(engine)
    the_clock = clock or SystemClock()
    bus = LedgerBus(lambda: SqlUnitOfWork(engine, the_clock))
    return App(engine, bus, SqlLedgerQueries(engine), the_clock)
