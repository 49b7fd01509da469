"""Shared plumbing of the SQL repositories: the connection, tenant scope and dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from refundable.adapters.db import rows
from refundable.adapters.db.prepared import Driver
from refundable.core.time import Clock


class SqlBase:
    def __init__(self, conn: Connection, tenant_id: str, clock: Clock) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self.clock = clock
        self.pg = conn.dialect.name == "postgresql"
        self._driver: Driver | None = None

    @property
    def db(self) -> Driver:
        """The driver connection, for the prebuilt statements of the posting path."""
        if self._driver is None:
            self._driver = Driver(self.conn)
        return self._driver

    # helpers ---------------------------------------------------------------------------------
    def _insert_ignore(self, table: Table) -> Insert:
        if self.pg:
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    def _lock(self, stmt: Any) -> Any:
        return stmt.with_for_update() if self.pg else stmt

    def _now_us(self) -> int:
        return rows.to_us(self.clock.now())
