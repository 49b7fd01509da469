"""Every way SQL can write over a row, tried on every append-only table of both stores.

The probe of issue 8 rewrote a posted 100.00 refund line to 0.01 with SQLite's
``INSERT OR REPLACE`` (REPLACE deletes the old row without firing DELETE triggers). Here each
write path SQL offers (UPDATE, DELETE, DELETE of a whole table, REPLACE, INSERT OR REPLACE,
UPDATE OR REPLACE, UPSERT, and on PostgreSQL TRUNCATE and MERGE) is run from a console-like
connection (on SQLite without the application's pragmas) and must be refused with nothing
changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from storage_helpers import (
    APPEND_ONLY_KEYS,
    TEXT_COLUMN,
    at,
    card_payment,
    history,
    is_sqlite,
    mark,
    open_tenant,
    refund,
    run_sql,
    snapshot,
)

from refundable.adapters.db.schema import metadata
from refundable.bootstrap import App
from refundable.core.errors import OverRefund

TABLES = list(APPEND_ONLY_KEYS)


def _cols(table: str) -> list[str]:
    return [col.name for col in metadata.tables[table].columns]


def _rewritten(table: str, source: str = "") -> str:
    """The table's columns, with its text column changed (a rewrite, not a copy)."""
    text = TEXT_COLUMN[table]
    return ", ".join(
        f"{source}{col} || 'x'" if col == text else f"{source}{col}" for col in _cols(table)
    )


def _sqlite_paths(table: str, p: str) -> dict[str, str]:
    cols, text, key = ", ".join(_cols(table)), TEXT_COLUMN[table], APPEND_ONLY_KEYS[table]
    where = f"WHERE tenant_id = {p}"
    paths = {
        "UPDATE": f"UPDATE {table} SET {text} = {text} || 'x' {where}",
        "UPDATE OR REPLACE": f"UPDATE OR REPLACE {table} SET {text} = {text} || 'x' {where}",
        "DELETE": f"DELETE FROM {table} {where}",
        "DELETE all (truncate)": f"DELETE FROM {table}",
    }
    if key:  # without a unique key an INSERT cannot land on an existing row: it only appends
        rewrite = f"SELECT {_rewritten(table)} FROM {table} {where}"
        paths |= {
            "REPLACE": f"REPLACE INTO {table} ({cols}) {rewrite}",
            "INSERT OR REPLACE": f"INSERT OR REPLACE INTO {table} ({cols}) {rewrite}",
            "UPSERT": f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table} {where} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {text} = excluded.{text} || 'x'",
        }
    return paths


def _postgres_paths(table: str, p: str) -> dict[str, str]:
    cols, text, key = ", ".join(_cols(table)), TEXT_COLUMN[table], APPEND_ONLY_KEYS[table]
    where = f"WHERE tenant_id = {p}"
    on = " AND ".join(f"d.{k} = s.{k}" for k in key or ("tenant_id",))
    source = f"(SELECT * FROM {table} {where}) s"
    paths = {
        "UPDATE": f"UPDATE {table} SET {text} = {text} || 'x' {where}",
        "DELETE": f"DELETE FROM {table} {where}",
        "TRUNCATE": f"TRUNCATE {table}",
        "MERGE update": f"MERGE INTO {table} d USING {source} ON {on} "
        f"WHEN MATCHED THEN UPDATE SET {text} = s.{text} || 'x'",
        "MERGE delete": f"MERGE INTO {table} d USING {source} ON {on} WHEN MATCHED THEN DELETE",
    }
    if key:
        paths["UPSERT"] = (
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table} {where} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {text} = excluded.{text} || 'x'"
        )
    return paths


def _posted(app: App) -> tuple[App, str]:
    tenant = f"t{uuid.uuid4().hex[:16]}"
    open_tenant(app, tenant)
    history(app, tenant)
    return app, tenant


@pytest.fixture(scope="module")
def sqlite_posted(sqlite_app: App) -> tuple[App, str]:
    """One tenant with rows in every append-only table (every statement below is refused, so
    the tests can share it)."""
    return _posted(sqlite_app)


@pytest.fixture(scope="module")
def postgresql_posted(postgresql_app: App) -> tuple[App, str]:
    return _posted(postgresql_app)


def _cases(paths: Callable[[str, str], dict[str, str]]) -> list[tuple[str, str]]:
    return [(table, name) for table in TABLES for name in paths(table, ":t")]


def _refused(app: App, tenant: str, table: str, sql: str) -> None:
    before = snapshot(app.db, tenant, TABLES)
    assert before[table], f"no {table} rows to attack"
    with pytest.raises(Exception, match="append-only"):
        run_sql(app, sql, tenant)
    assert snapshot(app.db, tenant, TABLES) == before


@pytest.mark.parametrize(("table", "path"), _cases(_sqlite_paths))
def test_sqlite_refuses_every_write_path_over_history(
    sqlite_posted: tuple[App, str], table: str, path: str
) -> None:
    app, tenant = sqlite_posted
    _refused(app, tenant, table, _sqlite_paths(table, ":t")[path])


@pytest.mark.postgres
@pytest.mark.parametrize(("table", "path"), _cases(_postgres_paths))
def test_postgresql_refuses_every_write_path_over_history(
    postgresql_posted: tuple[App, str], table: str, path: str
) -> None:
    app, tenant = postgresql_posted
    _refused(app, tenant, table, _postgres_paths(table, "%(t)s")[path])


def test_replace_cannot_rewrite_a_refund_line_or_its_return(app: App, tenant: str) -> None:
    """The probe's exact attack: the refund's lines and its return row rewritten to 0.01."""
    card_payment(app, tenant, "C1", "100.00", "p1")
    refund(app, tenant, "rf1", "r1", "p1", "100.00", when=at(1))
    p = mark(app)
    verb, tail = (
        ("INSERT OR REPLACE", "")
        if is_sqlite(app)
        else ("INSERT", " ON CONFLICT ({k}) DO UPDATE SET amount = 1")
    )
    attacks = [
        f"{verb} INTO lines (tenant_id, entry_id, line_no, account, commodity, amount, lot_id) "
        "SELECT tenant_id, entry_id, line_no, account, commodity, "
        "CASE WHEN amount > 0 THEN 1 ELSE -1 END, lot_id FROM lines "
        f"WHERE tenant_id = {p} AND entry_id IN "
        f"(SELECT entry_id FROM entries WHERE tenant_id = {p} AND kind = 'refund')"
        + tail.format(k="tenant_id, entry_id, line_no"),
        f"{verb} INTO payment_returns (tenant_id, kind, return_id, payment_id, amount_minor, "
        "currency, entry_id, at_us, reason) SELECT tenant_id, kind, return_id, payment_id, 1, "
        f"currency, entry_id, at_us, reason FROM payment_returns WHERE tenant_id = {p}"
        + tail.format(k="tenant_id, kind, return_id").replace("amount", "amount_minor"),
    ]
    for sql in attacks:
        _refused(app, tenant, "lines", sql)
    with pytest.raises(OverRefund):
        refund(app, tenant, "rf2", "r2", "p1", "0.01", when=at(2))


def test_every_append_only_table_with_a_key_has_a_replace_guard(sqlite_app: App) -> None:
    """A table added to schema.APPEND_ONLY with a unique key but without a BEFORE INSERT
    guard (``install_replace_guards`` in its migration) fails here."""
    from refundable.adapters.db.schema import APPEND_ONLY

    keyed = {t for t in APPEND_ONLY if metadata.tables[t].primary_key.columns}
    with sqlite_app.db.connect() as conn:
        found = {
            str(name)
            for (name,) in conn.exec_driver_sql(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name = tbl_name || '_no_replace'"
            )
        }
    assert keyed and keyed <= found, keyed - found
