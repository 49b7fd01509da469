"""The usage-ingestion hot path, written against each driver directly.

Per event the ledger writes two rows (the event and its lot allocation); going through the
ORM or even Core parameter processing would cost more than the database itself. So:

* SQLite: ``executemany`` of plain tuples on the same connection and transaction;
* PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3) into the real tables; the unique key on
  ``usage_events`` still guards against a concurrent ingester of the same event ids (the
  transaction fails and the service retries, finding them as duplicates).

Both run inside the unit of work's transaction, so the journal entries, lot balances and
these rows commit or vanish together. Going around Core also goes around the bounded column
types (ADR 0034), so ``check_rows`` applies those same types to the rows first: a value past a
bound is the same ``LimitExceeded`` as on the normal path, before any SQL (ADR 0034).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Table

from refundable.adapters.db.rows import to_us
from refundable.adapters.db.schema import usage_allocations, usage_events
from refundable.adapters.db.types import BoundedInt, BoundedString
from refundable.core.errors import InvariantBroken
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.usage import UsageEvent

_CHUNK = 5000
EVENT_COLUMNS = ("tenant_id", "event_id", "customer_id", "units", "occurred_us", "entry_id")
ALLOCATION_COLUMNS = ("tenant_id", "event_id", "lot_id", "units", "value_minor")


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def known_events(conn: Connection, tenant: str, ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Events already stored among ``ids``: event id -> (customer, units)."""
    out: dict[str, tuple[str, int]] = {}
    if not ids:
        return out
    check_column(usage_events, "tenant_id", [tenant], conn.dialect)
    check_column(usage_events, "event_id", ids, conn.dialect)
    if conn.dialect.name == "postgresql":
        cur = _driver(conn).execute(
            "SELECT event_id, customer_id, units FROM usage_events "
            "WHERE tenant_id = %s AND event_id = ANY(%s)",
            (tenant, list(ids)),
            # Never a cached generic plan: one made while the table was small (sequential
            # scan) would stay in use as it grows, costing O(table x batch) per call.
            prepare=False,
        )
        return {r[0]: (r[1], int(r[2])) for r in cur.fetchall()}
    raw = _driver(conn)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        cur = raw.execute(
            f"SELECT event_id, customer_id, units FROM usage_events "
            f"WHERE tenant_id = ? AND event_id IN ({marks})",
            (tenant, *chunk),
        )
        out.update((r[0], (r[1], int(r[2]))) for r in cur.fetchall())
    return out


def insert_usage(
    conn: Connection,
    tenant: str,
    events: Sequence[UsageEvent],
    entry_of: Mapping[str, str],
    allocations: Sequence[Allocation],
) -> None:
    instants: dict[datetime, int] = {}  # events of a batch share few instants: convert once
    event_rows = [
        (
            tenant, e.event_id, e.customer_id, e.units,
            instants.get(e.occurred_at) or instants.setdefault(e.occurred_at, to_us(e.occurred_at)),
            entry_of[e.customer_id],
        )
        for e in events
    ]  # fmt: skip
    alloc_rows = [(tenant, a.event_id, a.lot_id, a.units, a.value_minor) for a in allocations]
    check_rows(usage_events, EVENT_COLUMNS, event_rows, conn.dialect)
    check_rows(usage_allocations, ALLOCATION_COLUMNS, alloc_rows, conn.dialect)
    if conn.dialect.name == "postgresql":
        _copy(conn, f"usage_events ({', '.join(EVENT_COLUMNS)})", event_rows)
        _copy(conn, f"usage_allocations ({', '.join(ALLOCATION_COLUMNS)})", alloc_rows)
        return
    raw = _driver(conn)
    raw.executemany(
        "INSERT INTO usage_events (tenant_id, event_id, customer_id, units, "
        "occurred_us, entry_id) VALUES (?, ?, ?, ?, ?, ?)",
        event_rows,
    )
    raw.executemany(
        "INSERT INTO usage_allocations (tenant_id, event_id, lot_id, units, "
        "value_minor) VALUES (?, ?, ?, ?, ?)",
        alloc_rows,
    )


def _copy(conn: Connection, target: str, data: Iterable[tuple[Any, ...]]) -> None:
    with _driver(conn).cursor() as cur, cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in data:
            copy.write_row(row)


# --- the bounded column types, applied to whole columns (ADR 0034) -------------------------


def check_rows(
    table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], dialect: Dialect
) -> None:
    """Refuse, before any SQL, a row value the table's bounded column types would refuse on
    the normal path (see ``check_column``)."""
    if rows:
        for index, name in enumerate(columns):
            check_column(table, name, [row[index] for row in rows], dialect)


def check_column(table: Table, name: str, values: Sequence[Any], dialect: Dialect) -> None:
    """The same :class:`LimitExceeded` (what, where, allowed) the column's bounded type raises
    on the normal path, raised by that type itself. Checked with ``min``/``max``/``len`` (C
    loops over the batch), so 50,000 values cost about a millisecond; only a batch past a bound
    is walked value by value, to name its first value out of bounds."""
    kind = table.c[name].type
    if not values:
        return
    if isinstance(kind, BoundedInt):
        if min(values) < kind.low or max(values) > kind.high:
            _first_refused(kind, values, dialect)
    elif isinstance(kind, BoundedString) and max(map(len, values)) > kind.max_length:
        _first_refused(kind, values, dialect)


def _first_refused(
    kind: BoundedInt | BoundedString, values: Sequence[Any], dialect: Dialect
) -> None:
    for value in values:
        kind.process_bind_param(value, dialect)  # raises LimitExceeded at the first one
    raise InvariantBroken(f"{kind.what}: a batch past its bound had no value past it")
