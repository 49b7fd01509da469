"""Stores for the integration tests: a SQLite file and a PostgreSQL database per session.

Each pytest session (each xdist worker) gets its own SQLite file and its own PostgreSQL
database with a unique name, dropped at the end; each test gets its own tenant id, so tests
never see each other's rows. PostgreSQL is a hard dependency: if it cannot be reached the
fixtures error and the tests FAIL, they are never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest

from pgdb import new_pg_database
from refundable.bootstrap import App, bootstrap
from refundable.core.time import UTC, FixedClock

CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with new_pg_database("refundable_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    path = tmp_path_factory.mktemp("ledger") / "ledger.db"
    app = bootstrap(f"sqlite:///{path}", CLOCK)
    yield app
    app.close()


@pytest.fixture(scope="session")
def postgresql_app(pg_url: str) -> Iterator[App]:
    app = bootstrap(pg_url, CLOCK, apply_migrations=True)  # the fixture plays the owner
    yield app
    app.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest) -> App:
    found: App = request.getfixturevalue(f"{request.param}_app")
    return found


@pytest.fixture
def tenant(request: pytest.FixtureRequest) -> str:
    """A fresh tenant running the test policy (see ``tests/fakes.py``) in the test's store."""
    from fakes import open_tenant

    tenant_id = f"t{uuid.uuid4().hex[:16]}"
    for name in ("app", "sqlite_app", "postgresql_app"):
        if name in request.fixturenames:
            open_tenant(request.getfixturevalue(name), tenant_id)
    return tenant_id


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> Iterator[App]:
    """The app on each of the three stores: in memory (a fresh one), SQLite and PostgreSQL."""
    if request.param == "memory":
        from fakes import memory_app

        app = memory_app()
        yield app
        app.close()
    else:
        yield request.getfixturevalue(f"{request.param}_app")
