"""Fixtures of the storage tests: fresh, empty databases (migrations are part of the test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pgdb import new_pg_database


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    with new_pg_database("refundable_fresh") as url:
        yield url


@pytest.fixture
def fresh_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.db'}"
