"""The usage-ingestion hot path, written against each driver directly.

Per event the ledger writes two rows (the event and its lot allocation); going through the
ORM or even Core parameter processing would cost more than the database itself. So:

* SQLite: ``executemany`` of plain tuples on the same connection and transaction;
* PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3) into the real tables; the unique key on
  ``usage_events`` still guards against a concurrent ingester of the same event ids (the
  transaction fails and the service retries, finding them as duplicates).

Both run inside the unit of work's transaction, so the journal entries, lot balances and
these rows commit or vanish together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from refundable.adapters.db.rows import to_us
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.usage import UsageEvent

_CHUNK = 5000


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def known_events(conn: Connection, tenant: str, ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Events already stored among ``ids``: event id -> (customer, units)."""
    out: dict[str, tuple[str, int]] = {}
    if not ids:
        return out
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
    if conn.dialect.name == "postgresql":
        _copy(
            conn,
            "usage_events (tenant_id, event_id, customer_id, units, occurred_us, entry_id)",
            event_rows,
        )
        _copy(
            conn, "usage_allocations (tenant_id, event_id, lot_id, units, value_minor)", alloc_rows
        )
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
