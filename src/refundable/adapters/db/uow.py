"""The SQL unit of work: one connection, one transaction, commit or nothing.

Transient conflicts between concurrent transactions surface as :class:`Retry` so the service
can run the command again: PostgreSQL deadlocks (40P01), serialization failures (40001) and
unique violations (23505: two transactions inserting the same key at once), SQLite "database
is locked" after the busy timeout.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

from refundable.adapters.db.engine import begin_write
from refundable.adapters.db.known_accounts import back_to, forget, fresh_mark, promote
from refundable.adapters.db.prepared import Recording, commit, discard, flush, recording, replay
from refundable.adapters.db.repository import SqlJournal, SqlLots, SqlReceipts
from refundable.adapters.db.repository_cases import SqlCases
from refundable.adapters.db.repository_checkpoints import SqlCheckpoints
from refundable.adapters.db.repository_payouts import SqlPayouts, SqlWebhookEndpoints
from refundable.adapters.db.repository_personal import SqlPersonal
from refundable.adapters.db.repository_records import (
    SqlCustomers,
    SqlHolds,
    SqlPayments,
    SqlUsage,
)
from refundable.adapters.db.repository_scheduling import SqlOutbox, SqlSchedule, SqlTestClocks
from refundable.adapters.db.repository_subscriptions import SqlSubscriptions
from refundable.adapters.db.repository_tenants import SqlDecisions, SqlTenants
from refundable.core.errors import InvariantBroken
from refundable.core.time import Clock
from refundable.ledger.decisions import DecisionRecord
from refundable.service.ports import Repositories, Retry, StepUndoFailed

_TRANSIENT_PG = {"40001", "40P01", "23505"}


def is_transient(err: BaseException | None) -> bool:
    """A conflict that a fresh attempt can resolve. Accepts SQLAlchemy-wrapped errors and raw
    driver errors (the ingestion fast path talks to the drivers directly)."""
    orig = err.orig if isinstance(err, DBAPIError) else err
    # psycopg is an optional extra: if it was never imported, no error can come from it
    psycopg = sys.modules.get("psycopg")
    kinds = (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)
    if not isinstance(orig, kinds):
        return False
    code = getattr(orig, "sqlstate", None)
    if code is not None:
        return code in _TRANSIENT_PG
    text = str(orig).lower()
    return "database is locked" in text or "unique constraint failed" in text


class SqlUnitOfWork:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        # repositories that keep writes until flush (cases, outbox): flushed before the commit
        self._keeping: list[SqlCases | SqlOutbox] = []
        self.decided: list[DecisionRecord] = []  # what SqlDecisions.add recorded (ADR 0084)

    def __enter__(self) -> SqlUnitOfWork:
        self._conn, self._tx = begin_write(self.engine)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, tx = self._conn, self._tx
        self._conn = self._tx = None
        self._keeping.clear()
        if conn is None or tx is None:
            return
        discard(conn)  # deferred writes of a unit of work that did not commit
        forget(conn)
        try:
            if tx.is_active:
                tx.rollback()
        finally:
            conn.close()
        if is_transient(exc):
            raise Retry(str(exc)) from exc

    def repositories(self, tenant_id: str) -> Repositories:
        """The tenant's repositories, all on this unit of work's one transaction."""
        conn = self._conn
        if conn is None:
            raise InvariantBroken("unit of work used outside its 'with' block")
        cases = SqlCases(conn, tenant_id, self.clock)
        outbox = SqlOutbox(conn, tenant_id, self.clock, keep=True)
        self._keeping += (cases, outbox)
        return _OnFirstUse.of(tenant_id, cases, outbox, (conn, tenant_id, self.clock),
                              self.decided)  # fmt: skip

    @contextmanager
    def step(self, name: str = "command_step") -> Iterator[None]:
        """One command of a group commit (ADR 0072), under a savepoint of the open
        transaction: on success its kept case writes go out and the savepoint is released; on
        any exception the savepoint is rolled back, and with it what the command wrote, the
        accounts it ensured and the case writes it kept. Other commands' work stays."""
        conn = self._conn
        if conn is None:
            raise InvariantBroken("unit of work used outside its 'with' block")
        raw: Any = conn.connection.driver_connection
        flush(conn)  # deferred writes of earlier steps belong to them, not to this one
        accounts, kept, decided = fresh_mark(conn), len(self._keeping), len(self.decided)
        raw.execute(f"SAVEPOINT {name}")
        try:
            yield
            for keeping in self._keeping[kept:]:
                keeping.flush()
            flush(conn)
        except BaseException as err:
            discard(conn)
            del self._keeping[kept:]
            del self.decided[decided:]
            back_to(conn, accounts)
            try:
                raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
                raw.execute(f"RELEASE SAVEPOINT {name}")
            except BaseException as undo:  # the whole transaction must go, not just the step
                raise StepUndoFailed(str(undo)) from err
            if is_transient(err):
                raise Retry(str(err)) from err
            raise
        raw.execute(f"RELEASE SAVEPOINT {name}")

    @contextmanager
    def recording(self) -> Iterator[Recording | None]:
        """Rehearse one command on this unit of work's snapshot (ADR 0072): its prepared
        reads run, its writes are recorded and not run (nor are the case writes it keeps
        until the end); anything else it tries ends the rehearsal (``Unrehearsable``). Only
        on SQLite, where what a rehearsal saves is time holding the one write lock."""
        conn = self._conn
        if conn is None:
            raise InvariantBroken("unit of work used outside its 'with' block")
        if conn.dialect.name != "sqlite":
            yield None
            return
        kept = len(self._keeping)
        forget(conn)  # accounts a rehearsal ensures are no one else's to assume
        try:
            with recording(conn) as rec:
                yield rec
                for keeping in self._keeping[kept:]:
                    keeping.flush()
        finally:
            del self._keeping[kept:]
            forget(conn)

    def replay(self, rec: object) -> None:
        """A rehearsal's writes in this transaction, if each of its reads gives the same rows
        now (else ``Stale``, and the caller undoes the step and runs the command for real)."""
        if self._conn is None or not isinstance(rec, Recording):
            raise InvariantBroken("replay outside the unit of work, or of no recording")
        replay(self._conn, rec)

    def commit(self) -> None:
        if self._tx is None or self._conn is None:
            raise InvariantBroken("commit outside the unit of work")
        for keeping in self._keeping:
            keeping.flush()
        commit(self._conn, self._tx)
        promote(self._conn)


# The repositories a unit of work can hand out, by field of ``Repositories`` (cases and
# outbox are made up front: they keep writes until the step or the commit flushes them).
_MADE_ON_FIRST_USE: dict[str, type[Any]] = {
    "receipts": SqlReceipts,
    "customers": SqlCustomers,
    "journal": SqlJournal,
    "lots": SqlLots,
    "payments": SqlPayments,
    "usage": SqlUsage,
    "holds": SqlHolds,
    "decisions": SqlDecisions,
    "tenants": SqlTenants,
    "schedule": SqlSchedule,
    "clocks": SqlTestClocks,
    "personal": SqlPersonal,
    "subscriptions": SqlSubscriptions,
    "checkpoints": SqlCheckpoints,
    "payouts": SqlPayouts,
    "webhooks": SqlWebhookEndpoints,
}


class _OnFirstUse(Repositories):
    """``Repositories`` whose members are made when a handler first reads them: a command
    uses five or six of nineteen, and the bus asks for them twice per command of a group
    commit (rehearsal and write). Each is still one per call of ``repositories``, so what
    one remembers (``SqlTenants``' reads) is never shared between commands."""

    __slots__ = ("_args", "_decided")

    @classmethod
    def of(
        cls, tenant_id: str, cases: SqlCases, outbox: SqlOutbox, args: tuple[Any, ...],
        decided: list[DecisionRecord],
    ) -> _OnFirstUse:  # fmt: skip
        made = object.__new__(cls)
        for name, value in (("tenant_id", tenant_id), ("cases", cases), ("outbox", outbox),
                            ("_args", args), ("_decided", decided)):  # fmt: skip
            object.__setattr__(made, name, value)
        return made

    def __getattr__(self, name: str) -> Any:  # only for a member not made yet
        kind = _MADE_ON_FIRST_USE.get(name)
        if kind is None:
            raise AttributeError(name)
        args = object.__getattribute__(self, "_args")
        if kind is SqlDecisions:  # it lists what it records on the unit of work's list
            args = (*args, object.__getattribute__(self, "_decided"))
        repo = kind(*args)
        object.__setattr__(self, name, repo)
        return repo
