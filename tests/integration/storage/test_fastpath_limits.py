"""The usage-ingestion fast path keeps the storage bounds (issue 8; ADR 0034, "The fast path").

``fastpath.insert_usage`` writes through the drivers (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) and so went around the bounded column types: a units count of 10^12, an instant in
2300 or a 201-character event id reached the database (stored silently on SQLite, a raw
``DataError`` or a wrapped value on PostgreSQL). Each must now be refused before any SQL with
the very error the normal path gives for the same value in the same column, and nothing
written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from storage_helpers import T0

from refundable.adapters.db import schema as t
from refundable.adapters.db.fastpath import insert_usage, known_events
from refundable.bootstrap import App
from refundable.core.errors import LimitExceeded
from refundable.core.limits import MAX_AMOUNT_MINOR, MAX_ID_LENGTH, MAX_UNITS
from refundable.core.time import UTC
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.usage import UsageEvent

EVENT = UsageEvent("ev1", "C1", 1, T0)
ALLOCATION = Allocation("ev1", "L1", 1, 25)
LONG = "x" * 201


def _event_row(tenant: str, **change: Any) -> dict[str, Any]:
    row = {"tenant_id": tenant, "event_id": "ev1", "customer_id": "C1", "units": 1}
    return {**row, "occurred_us": 0, "entry_id": "e1", **change}


def _alloc_row(tenant: str, **change: Any) -> dict[str, Any]:
    row = {"tenant_id": tenant, "event_id": "ev1", "lot_id": "L1", "units": 1, "value_minor": 1}
    return {**row, **change}


# (what, events, allocations, table and column change of the same value on the normal path)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], Table, dict[str, Any]]] = [
    ("units of 10^12", {"units": MAX_UNITS}, {}, t.usage_events, {"units": MAX_UNITS}),
    ("a 201-character event id", {"event_id": LONG}, {}, t.usage_events, {"event_id": LONG}),
    (
        "a 65-character customer id",
        {"customer_id": "c" * (MAX_ID_LENGTH + 1)},
        {},
        t.usage_events,
        {"customer_id": "c" * (MAX_ID_LENGTH + 1)},
    ),
    (
        "an instant in 2300",
        {"occurred_at": datetime(2300, 1, 1, tzinfo=UTC)},
        {},
        t.usage_events,
        {"occurred_us": 10_413_792_000_000_000},
    ),
    (
        "an instant before 1970",
        {"occurred_at": datetime(1969, 12, 31, 23, 59, tzinfo=UTC)},
        {},
        t.usage_events,
        {"occurred_us": -60_000_000},
    ),
    ("a value of 10^18", {}, {"value_minor": MAX_AMOUNT_MINOR}, t.usage_allocations,
     {"value_minor": MAX_AMOUNT_MINOR}),
    ("a value of -10^18", {}, {"value_minor": -MAX_AMOUNT_MINOR}, t.usage_allocations,
     {"value_minor": -MAX_AMOUNT_MINOR}),
    ("negative units drawn", {}, {"units": -1}, t.usage_allocations, {"units": -1}),
    ("a 201-character lot id", {}, {"lot_id": LONG}, t.usage_allocations, {"lot_id": LONG}),
]  # fmt: skip


def _count(app: App, tenant: str, table: Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(table.c.tenant_id == tenant)).scalar())


def _normal_path_error(app: App, table: Table, row: dict[str, Any]) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as refused, app.engine.begin() as conn:
        conn.execute(table.insert(), row)
    return refused.value


@pytest.mark.parametrize(
    ("what", "event", "allocation", "table", "column"), CASES, ids=[c[0] for c in CASES]
)
def test_the_fast_path_refuses_what_the_column_types_refuse(
    app: App,
    tenant: str,
    what: str,
    event: dict[str, Any],
    allocation: dict[str, Any],
    table: Table,
    column: dict[str, Any],
) -> None:
    """A batch of many good rows with one bad value: the same error (code, what, where,
    allowed) as the normal path, and neither table gets a row."""
    good = [replace(EVENT, event_id=f"ok{i}") for i in range(1000)]
    events = [*good, replace(EVENT, **event)]
    allocations = [replace(ALLOCATION, event_id=e.event_id) for e in good]
    allocations.append(replace(ALLOCATION, **allocation))
    entry_of = {e.customer_id: "e1" for e in events}
    with pytest.raises(LimitExceeded) as refused, app.engine.begin() as conn:
        insert_usage(conn, tenant, events, entry_of, allocations)
    row = (_event_row if table is t.usage_events else _alloc_row)(tenant, **column)
    assert refused.value.to_dict() == _normal_path_error(app, table, row).to_dict()
    assert refused.value.where and refused.value.allowed
    assert _count(app, tenant, t.usage_events) == _count(app, tenant, t.usage_allocations) == 0


def test_the_fast_path_refuses_a_tenant_or_entry_past_the_id_length(app: App, tenant: str) -> None:
    long_id = "t" * (MAX_ID_LENGTH + 1)
    for bad_tenant, entry in ((long_id, "e1"), (tenant, long_id)):
        with pytest.raises(LimitExceeded, match="id of 65 characters"), app.engine.begin() as conn:
            insert_usage(conn, bad_tenant, [EVENT], {"C1": entry}, [ALLOCATION])
    with pytest.raises(LimitExceeded, match="stored id of 201"), app.engine.connect() as conn:
        known_events(conn, tenant, ["ok", LONG])
    assert _count(app, tenant, t.usage_events) == 0


def test_values_at_the_bounds_go_through_the_fast_path(app: App, tenant: str) -> None:
    """The check refuses only what is past a bound: the largest values allowed are stored."""
    event = UsageEvent(
        "e" * 200, "c" * MAX_ID_LENGTH, MAX_UNITS - 1, datetime(2199, 12, 31, tzinfo=UTC)
    )
    allocation = Allocation(event.event_id, "l" * 200, MAX_UNITS - 1, MAX_AMOUNT_MINOR - 1)
    with app.engine.begin() as conn:
        insert_usage(conn, tenant, [event], {event.customer_id: "e1"}, [allocation])
    with app.engine.connect() as conn:
        found = known_events(conn, tenant, [event.event_id])
    assert found == {event.event_id: (event.customer_id, MAX_UNITS - 1)}
    assert _count(app, tenant, t.usage_allocations) == 1
