"""The one place where configuration becomes wired objects.

Two halves, both built on demand and never at import time:

* the decision side: where the policies and example requests live, the registry of compiled
  policies (compiled once per process), and the call that decides under the version in force;
* the service side: ``bootstrap(settings)`` takes the database URL from ``Settings`` (argument,
  else ``REFUNDABLE_DB_URL``, else a SQLite file in the per-user data directory; ``memory:``
  for the in-memory store), creates the engine, applies the migrations and returns the
  command bus, the read side and the tenants' policy catalog.

The database adapters are imported inside ``bootstrap()``, so commands that only decide (the
CLI's ``decide``, ``policy ...``) start without loading SQLAlchemy and Alembic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from refundable.config import Settings, shipped_examples_dir
from refundable.core.errors import InvariantBroken
from refundable.core.time import Clock
from refundable.policy.decision import Decision
from refundable.policy.engine import decide as decide_request
from refundable.policy.facts import Request
from refundable.policy.registry import PolicyRegistry

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from refundable.service.bus import MessageBus
    from refundable.service.case_queries import CaseQueries
    from refundable.service.catalog import PolicyCatalog
    from refundable.service.group_commit import GroupCommit
    from refundable.service.logins import Logins
    from refundable.service.outbox_store import OutboxStore
    from refundable.service.queries import LedgerQueries
    from refundable.service.resources import ResourceQueries
    from refundable.service.scheduled import WorkQueries
    from refundable.service.subscription_queries import SubscriptionQueries

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


# --- service side -----------------------------------------------------------------------------

MEMORY_URL = "memory:"


@dataclass(frozen=True)
class App:
    """The wired service: the command bus, the read side, the catalog and the clock."""

    ledger: MessageBus
    queries: LedgerQueries
    clock: Clock
    catalog: PolicyCatalog
    work: WorkQueries  # due actions, outbox, test clocks (the runner's read side)
    engine: Engine | None = None  # None for the in-memory store
    cases_read: CaseQueries | None = None  # refund cases' read side (service.case_queries)
    outbox: OutboxStore | None = None  # the outbox worker's store (service.outbox)
    settings: Settings | None = None  # what it was built from (the worker's senders read it)
    logins: Logins | None = None  # console and portal logins (ADR 0061)
    # API commands on SQLite: queued, run in batches of one transaction each (ADR 0072)
    group_commit: GroupCommit | None = None

    @property
    def bus(self) -> MessageBus:
        return self.ledger

    @property
    def subscriptions(self) -> SubscriptionQueries:
        """The read side of subscriptions (ADR 0046): records, history, ``can_use``."""
        from refundable.service.subscription_queries import SubscriptionQueries

        return SubscriptionQueries(self.ledger.read_uow_factory, self.catalog)

    @property
    def resources(self) -> ResourceQueries:
        """The read side of the API's resources (customers, charges, payments, ...) on this
        app's store: what ``GET /v1/charges`` and the portal's request form read."""
        if self.engine is None:
            from refundable.adapters.memory.resource_queries import MemoryResourceQueries

            return MemoryResourceQueries(self.queries.store)  # type: ignore[attr-defined]
        from refundable.adapters.db.resource_queries import SqlResourceQueries

        return SqlResourceQueries(self.engine)

    @property
    def db(self) -> Engine:
        """The SQL engine (for tools and tests that talk to the database directly)."""
        if self.engine is None:
            raise InvariantBroken("this app runs on the in-memory store: it has no engine")
        return self.engine

    def close(self) -> None:
        if self.group_commit is not None:
            self.group_commit.close()
        if self.engine is not None:
            self.engine.dispose()


def default_db_url(settings: Settings | None = None) -> str:
    return (settings or Settings.from_env()).resolved_db_url


def bootstrap(
    settings: Settings | str | None = None,
    clock: Clock | None = None,
    apply_migrations: bool | None = None,
) -> App:
    """Settings (or a database URL) to a wired app. ``memory:`` wires the in-memory store
    (fast service tests); anything else is a SQLAlchemy URL (SQLite or PostgreSQL).
    Migrations run here only when asked (``apply_migrations``) or, by default, when
    ``Settings.migrate_on_start`` says so (embedded SQLite); otherwise the schema must already
    be at head (``refundable db upgrade``, ADR 0033)."""
    from refundable.adapters.clock import SystemClock
    from refundable.service.bus import MessageBus
    from refundable.service.catalog import PolicyCatalog

    if not isinstance(settings, Settings):
        settings = Settings.from_env(db_url=settings)
    url = settings.resolved_db_url
    the_clock = clock or SystemClock()
    catalog = PolicyCatalog()
    if url == MEMORY_URL:
        from refundable.adapters.memory.outbound import MemOutboxStore
        from refundable.adapters.memory.queries import MemoryQueries
        from refundable.adapters.memory.tables import MemoryStore
        from refundable.adapters.memory.uow import MemoryUnitOfWork

        store = MemoryStore()
        bus = MessageBus(lambda: MemoryUnitOfWork(store), catalog, the_clock)
        from refundable.adapters.memory.cases import MemCaseQueries
        from refundable.adapters.memory.logins import MemLogins
        from refundable.adapters.memory.scheduling import MemWorkQueries

        return App(bus, MemoryQueries(store), the_clock, catalog, MemWorkQueries(store),
                   cases_read=MemCaseQueries(store), outbox=MemOutboxStore(store),
                   settings=settings, logins=MemLogins())  # fmt: skip
    from refundable.adapters.db.engine import (
        READONLY,
        make_engine,
        migrate,
        require_schema_at_head,
    )
    from refundable.adapters.db.outbox_store import SqlOutboxStore
    from refundable.adapters.db.queries import SqlLedgerQueries
    from refundable.adapters.db.uow import SqlUnitOfWork

    engine = make_engine(url)
    if settings.resolved_migrate_on_start if apply_migrations is None else apply_migrations:
        migrate(engine)
    else:
        require_schema_at_head(engine)
    reader = engine.execution_options(**{READONLY: True})
    bus = MessageBus(lambda: SqlUnitOfWork(engine, the_clock), catalog, the_clock,
                     read_uow_factory=lambda: SqlUnitOfWork(reader, the_clock))  # fmt: skip
    from refundable.adapters.db.logins import SqlLogins
    from refundable.adapters.db.repository_cases import SqlCaseQueries
    from refundable.adapters.db.repository_scheduling import SqlWorkQueries
    from refundable.service.group_commit import GroupCommit

    batches = settings.resolved_group_commit
    grouped = GroupCommit(bus, batches) if engine.dialect.name == "sqlite" and batches > 1 else None
    return App(bus, SqlLedgerQueries(engine), the_clock, catalog, SqlWorkQueries(engine), engine,
               SqlCaseQueries(engine), SqlOutboxStore(engine), settings,
               logins=SqlLogins(engine), group_commit=grouped)  # fmt: skip
