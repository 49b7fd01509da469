"""Statements built once from the schema and run on the driver: the posting hot path.

A single posting writes a handful of small rows; through SQLAlchemy Core each statement cost
about 0.2 ms of Python (building the expression, its cache key, parameter processing, the
result wrapper) against some 20 µs for the driver, so a posting spent most of its time outside
the database (issue 7, "the ledger at the storage limit"; ADR 0044). Here each hot statement
is still written with the schema's ``Table`` objects, but compiled once per dialect to SQL
text with positional parameters, and then executed straight on the unit of work's driver
connection, inside its transaction:

* the bounded column types still check every value before the database sees it (their bind
  processors are taken from the compiled statement and applied here);
* driver errors become the project's errors through the same ``errors.translate`` the
  engine's ``handle_error`` hook uses; transient ones stay raw, so the unit of work turns them
  into ``Retry`` as before;
* on PostgreSQL the same text every time lets psycopg prepare it server-side after a few uses.

Writes may be *deferred* (PostgreSQL only): they queue on the connection and go to the server
in one pipeline with the next read or with the COMMIT, so the tail of a posting (entry, lines,
payment rows, receipt, commit) is one round trip. Anything else run on the connection first
sends the queue (``flush``), so the order of statements is always the order they were issued.
"""

from __future__ import annotations

import operator
import sqlite3
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.sql import ClauseElement

from refundable.adapters.db.errors import translate

# Positional parameters for both drivers: "?" for sqlite3, "%s" for psycopg.
_DIALECTS = {
    "sqlite": sqlite.dialect(paramstyle="qmark"),
    "postgresql": pg_psycopg.dialect(paramstyle="format"),  # type: ignore[no-untyped-call]
}
_PENDING = "refundable_pending_writes"  # key in Connection.info: the deferred writes
_RECORDING = "refundable_recording"  # key in Connection.info: a rehearsal's Recording

Build = Callable[[bool], ClauseElement]  # (is_postgresql) -> statement with named bindparams


class Compiled:
    """A statement's SQL text, the parameter name at each position and the bounded types'
    checks by position; ``args`` turns named parameters into the driver's positional ones."""

    __slots__ = ("_checked", "_take", "names", "processors", "reads", "sql")

    def __init__(
        self, sql: str, names: tuple[str, ...], processors: tuple[Callable[[Any], Any] | None, ...]
    ) -> None:
        self.sql, self.names, self.processors = sql, names, processors
        self.reads = sql.lstrip().upper().startswith("SELECT")  # writes nothing
        # hot path: one C call picks every value, then only the positions with a check run
        self._take = _picker(names)
        self._checked = tuple((i, p) for i, p in enumerate(processors) if p is not None)

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self._take(params)
        if not self._checked:
            return values
        out = list(values)
        for i, proc in self._checked:
            out[i] = proc(out[i])
        return tuple(out)


def _picker(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if not names:
        return lambda _params: ()
    if len(names) == 1:
        (name,) = names
        return lambda params: (params[name],)
    return operator.itemgetter(*names)


class Prepared:
    """One statement, compiled at most once per dialect (on first use)."""

    __slots__ = ("_build", "_compiled")

    def __init__(self, build: Build) -> None:
        self._build = build
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect_name: str) -> Compiled:
        found = self._compiled.get(dialect_name)
        if found is None:
            found = self._compiled[dialect_name] = _compile(self._build, dialect_name)
        return found


def _compile(build: Build, dialect_name: str) -> Compiled:
    dialect = _DIALECTS[dialect_name]
    stmt = build(dialect_name == "postgresql")
    c: Any = stmt.compile(dialect=dialect)  # a SQLCompiler: positiontup, binds
    names = tuple(c.positiontup or ())
    procs = tuple(c.binds[n].type.bind_processor(dialect) for n in names)
    return Compiled(c.string, names, procs)


class Arity:
    """A statement whose shape depends on a small count (n keys in an IN list, n rows of a
    multi-row VALUES): one ``Prepared`` per count, built on first use."""

    __slots__ = ("_build", "_by_n")

    def __init__(self, build: Callable[[int, bool], ClauseElement]) -> None:
        self._build = build
        self._by_n: dict[int, Prepared] = {}

    def __call__(self, n: int) -> Prepared:
        found = self._by_n.get(n)
        if found is None:
            found = self._by_n[n] = Prepared(lambda pg: self._build(n, pg))
        return found


_DEFERRING: weakref.WeakSet[Engine] = weakref.WeakSet()


def enable_deferred_writes(engine: Engine) -> None:
    """Let PostgreSQL writes of this engine's units of work wait for the next read or the
    commit: every statement SQLAlchemy runs on a connection first sends its deferred writes,
    so nothing overtakes them."""
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)
    _DEFERRING.add(engine)


def _before_cursor_execute(conn: Connection, *_args: Any) -> None:
    if _PENDING in conn.info:
        flush(conn)


class Driver:
    """The unit of work's driver connection, for prepared statements."""

    __slots__ = ("_info", "conn", "defer", "name", "raw")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.raw: Any = conn.connection.driver_connection
        self.name = conn.dialect.name
        self.defer = self.name == "postgresql" and conn.engine in _DEFERRING
        self._info = conn.info

    def rows(self, stmt: Prepared, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a statement that returns rows and fetch them all."""
        c = stmt.compiled(self.name)
        args = c.args(params)
        recording: Recording | None = self._info.get(_RECORDING)
        if recording is not None:
            return recording.read(self.raw, c, args)
        self.flush()
        with _translated():
            return list(self.raw.execute(c.sql, args).fetchall())

    def count(self, stmt: Prepared, params: Mapping[str, Any]) -> int:
        """Run a write now (never deferred) and say how many rows it touched."""
        c = stmt.compiled(self.name)
        args = c.args(params)
        if _RECORDING in self._info:
            raise Unrehearsable("a write whose row count the command reads")
        self.flush()
        with _translated():
            return int(self.raw.execute(c.sql, args).rowcount)

    def write(self, stmt: Prepared, params: Mapping[str, Any]) -> None:
        """Run a statement that returns nothing; on PostgreSQL it waits for the next read or
        the commit (``flush``)."""
        self.many(stmt, (params,))

    def many(self, stmt: Prepared, params: Iterable[Mapping[str, Any]]) -> None:
        c = stmt.compiled(self.name)
        batch = [c.args(p) for p in params]  # every value checked before anything is sent
        if not batch:
            return
        recording: Recording | None = self._info.get(_RECORDING)
        if recording is not None:
            recording.ops.append((False, c.sql, batch, None))
            return
        if self.defer:
            self._info.setdefault(_PENDING, []).append((c.sql, batch))
            return
        with _translated():
            if len(batch) == 1:
                self.raw.execute(c.sql, batch[0])
            else:
                self.raw.executemany(c.sql, batch)

    def flush(self) -> None:
        """Send the deferred writes, in order, in one pipeline (one round trip)."""
        flush(self.conn)


class Unrehearsable(Exception):
    """A rehearsed command did what a recording cannot stand for (a write whose result it
    reads, a statement off the prepared path): it runs for real instead (ADR 0072)."""


class Recording:
    """What a command did on a read snapshot (ADR 0072): each prepared read with the rows it
    returned, each prepared write with its checked parameters (not run), in their order."""

    __slots__ = ("ops",)

    def __init__(self) -> None:
        # (is a read, SQL, arguments (a read) or their batch (a write), rows read)
        self.ops: list[tuple[bool, str, Any, list[tuple[Any, ...]] | None]] = []

    def read(self, raw: Any, c: Compiled, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not c.reads:  # INSERT ... RETURNING and the like: a write the command reads back
            raise Unrehearsable("a write whose returned rows the command reads")
        with _translated():
            found = list(raw.execute(c.sql, args).fetchall())
        self.ops.append((True, c.sql, args, found))
        return found


@contextmanager
def recording(conn: Connection) -> Iterator[Recording]:
    """Record instead of writing, on this connection, for the block's duration."""
    if _RECORDING in conn.info:
        raise Unrehearsable("a rehearsal inside a rehearsal")
    found = conn.info[_RECORDING] = Recording()
    try:
        yield found
    finally:
        del conn.info[_RECORDING]


def is_recording(conn: Connection) -> bool:
    return _RECORDING in conn.info


def refuse_unrecorded(conn: Connection, *_args: Any) -> None:
    """``before_cursor_execute``: a statement off the prepared path cannot be recorded."""
    if _RECORDING in conn.info:
        raise Unrehearsable("a statement off the prepared path")


class Stale(Exception):
    """A rehearsed read gives other rows now: the rehearsal stands for nothing."""


def replay(conn: Connection, rec: Recording) -> None:
    """Run a rehearsal in this transaction: every read again, refused (``Stale``) unless it
    gives the very rows it gave then; every write as it was recorded."""
    raw: Any = conn.connection.driver_connection
    with _translated():
        for is_read, sql, args, found in rec.ops:
            if is_read:
                if list(raw.execute(sql, args).fetchall()) != found:
                    raise Stale(sql)
            elif len(args) == 1:
                raw.execute(sql, args[0])
            else:
                raw.executemany(sql, args)


def flush(conn: Connection) -> None:
    pending: list[tuple[str, list[tuple[Any, ...]]]] | None = conn.info.pop(_PENDING, None)
    if not pending:
        return
    raw: Any = conn.connection.driver_connection
    with _translated(), raw.pipeline():
        _send(raw, pending)


def commit(conn: Connection, tx: RootTransaction) -> None:
    """Commit; on PostgreSQL the deferred writes and the COMMIT go in one round trip."""
    pending: list[tuple[str, list[tuple[Any, ...]]]] | None = conn.info.pop(_PENDING, None)
    if not pending:
        tx.commit()
        return
    raw: Any = conn.connection.driver_connection
    try:
        with _translated(), raw.pipeline():
            _send(raw, pending)
            tx.commit()
    except BaseException:
        # SQLAlchemy counts a failed COMMIT as the end of its transaction and the pool then
        # skips its rollback: end the aborted transaction here, or the next user inherits it.
        raw.rollback()
        raise


def _send(raw: Any, pending: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    with raw.cursor() as cur:
        for sql, batch in pending:
            for args in batch:
                cur.execute(sql, args)


def discard(conn: Connection) -> None:
    """Forget deferred writes (the transaction is being rolled back)."""
    conn.info.pop(_PENDING, None)


class _translated:
    """Driver errors leave as the project's errors where ``errors.translate`` knows them
    (limits, data errors); others (conflicts, locks) stay raw for the unit of work."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, err: BaseException | None, tb: Any) -> None:
        if err is None or not isinstance(err, _driver_errors()):
            return
        ours = translate(err)
        if ours is not None:
            raise ours from err


def _driver_errors() -> tuple[type[BaseException], ...]:
    psycopg: Any = sys.modules.get("psycopg")
    base: tuple[type[BaseException], ...] = (sqlite3.Error, OverflowError)
    return base if psycopg is None else (*base, psycopg.Error)


def values_of(rows_: Sequence[Mapping[str, Any]], prefix: str) -> dict[str, Any]:
    """Parameters of a multi-row VALUES statement whose binds are named ``{prefix}{i}_{col}``."""
    out: dict[str, Any] = {}
    for i, row in enumerate(rows_):
        for col, value in row.items():
            out[f"{prefix}{i}_{col}"] = value
    return out
