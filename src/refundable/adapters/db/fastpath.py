"""The usage-ingestion hot path, written against each driver directly.

Per event the ledger writes two rows (the event and its lot allocation); going through the
ORM or even Core parameter processing would cost more than the database itself. So:

* SQLite: ``executemany`` of plain tuples on the same connection and transaction;
* PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3) into the real tables; the unique key on
  ``usage_events`` still guards against a concurrent ingester of the same event ids (the
  transaction fails and the service retries, finding them as duplicates).

Both run inside the unit of work's transaction, so the journal entries, lot balances and
these rows commit or vanish together. Going around Core also goes around the bounded column
types (ADR 0034), so ``check_columns`` applies those same types to the rows first: a value past a
bound is the same ``LimitExceeded`` as on the normal path, before any SQL (ADR 0034).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table

from refundable.adapters.db.prepared import Unrehearsable, is_recording
from refundable.adapters.db.rows import to_us
from refundable.adapters.db.schema import usage_allocations, usage_events
from refundable.adapters.db.types import BoundedInt, BoundedString
from refundable.core.errors import InvariantBroken
from refundable.ledger.credit_ops import Allocation, Allocations
from refundable.ledger.usage import UsageEvent

_CHUNK = 5000
_EVENT_ID, _CUSTOMER = attrgetter("event_id"), attrgetter("customer_id")
_UNITS, _OCCURRED = attrgetter("units"), attrgetter("occurred_at")
EVENT_COLUMNS = ("tenant_id", "event_id", "customer_id", "units", "occurred_us", "entry_id")
ALLOCATION_COLUMNS = ("tenant_id", "event_id", "lot_id", "units", "value_minor")


def _driver(conn: Connection) -> Any:
    if is_recording(conn):  # these statements bypass the recording (ADR 0072)
        raise Unrehearsable("the usage fast path")
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
    """Write the events and their allocations. The rows are made column by column in C loops
    (map, zip), checked a column at a time, and handed to the driver as a lazy ``zip``, so
    no row outlives its insert: a batch's worth of row tuples alive at once cost more in the
    garbage collector's passes than in building them (issue 7)."""
    event_columns = _event_columns(tenant, events, entry_of)
    alloc_columns = _alloc_columns(tenant, allocations)
    check_columns(usage_events, EVENT_COLUMNS, event_columns, conn.dialect)
    check_columns(usage_allocations, ALLOCATION_COLUMNS, alloc_columns, conn.dialect)
    event_rows = _rows(tenant, event_columns)
    alloc_rows = _rows(tenant, alloc_columns)
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


# Columns in table order; the first (the tenant) holds one value, the same for every row.
Columns = list[Sequence[Any]]


def _event_columns(
    tenant: str, events: Sequence[UsageEvent], entry_of: Mapping[str, str]
) -> Columns:
    if not events:
        return [[] for _ in EVENT_COLUMNS]
    customers = list(map(_CUSTOMER, events))
    instants = list(map(_OCCURRED, events))
    # A batch's events share few instant objects: convert each one once, found by identity.
    distinct = dict(zip(map(id, instants), instants, strict=True))
    us_of = {key: to_us(at) for key, at in distinct.items()}
    return [
        [tenant], list(map(_EVENT_ID, events)), customers, list(map(_UNITS, events)),
        list(map(us_of.__getitem__, map(id, instants))), list(map(entry_of.__getitem__, customers)),
    ]  # fmt: skip


def _alloc_columns(tenant: str, allocations: Sequence[Allocation]) -> Columns:
    if not allocations:
        return [[] for _ in ALLOCATION_COLUMNS]
    if not isinstance(allocations, Allocations):
        allocations = Allocations.of(allocations)
    # Rows of (event, lot, units, value), one column per C pass. Not zip(*rows): that makes an
    # iterator per row, 50,000 short-lived objects the garbage collector has to walk.
    rows = allocations.rows
    return [[tenant], *(list(map(itemgetter(n), rows)) for n in range(4))]


def _rows(tenant: str, columns: Columns) -> Iterable[tuple[Any, ...]]:
    rest = columns[1:]
    return zip(repeat(tenant, len(rest[0])), *rest, strict=True)


def _copy(conn: Connection, target: str, data: Iterable[tuple[Any, ...]]) -> None:
    with _driver(conn).cursor() as cur, cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in data:
            copy.write_row(row)


# --- the bounded column types, applied to whole columns (ADR 0034) -------------------------


def check_columns(table: Table, names: Sequence[str], columns: Columns, dialect: Dialect) -> None:
    """Refuse, before any SQL, a value the table's bounded column types would refuse on the
    normal path (see ``check_column``), checking the columns in table order."""
    for name, values in zip(names, columns, strict=True):
        check_column(table, name, values, dialect)


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
