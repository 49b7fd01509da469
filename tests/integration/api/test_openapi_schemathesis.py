"""The OpenAPI document, tested rather than only generated: schemathesis generates requests
for every operation from the document (bounded examples per operation) and checks every
answer: never a 5xx, a status the document lists, its content type, and a body matching the
schema. Runs on SQLite and PostgreSQL, with an admin key (every operation reachable) of a
tenant that has data, so reads find things and writes meet real state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from api_helpers import auth
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tenant_world import build

from fakes import open_tenant
from refundable.bootstrap import App, bootstrap
from refundable.config import Settings
from refundable.core.time import UTC, FixedClock
from refundable.entrypoints.api.app import create_app
from refundable.service.access import Role, create_key

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
EXAMPLES = 12  # per operation: ~40 operations x 12 keeps the run near a minute per store


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    tuple[Any, str]
]:  # fmt: skip
    if request.param == "sqlite":
        app = bootstrap(f"sqlite:///{tmp_path_factory.mktemp('st') / 'api.db'}", CLOCK)
    else:
        app = bootstrap(request.getfixturevalue("pg_url"), CLOCK, apply_migrations=True)
    yield _world(app)
    app.close()


def _world(app: App) -> tuple[Any, str]:
    tenant = f"s{uuid.uuid4().hex[:12]}"
    open_tenant(app, tenant)
    api = create_app(app, Settings())
    admin = create_key(api.state.api.keys, tenant, Role.admin, "schemathesis", app.clock.now())
    with TestClient(api) as client:
        build(client, admin)
    return api, admin


def test_every_operation_answers_as_documented(served: tuple[Any, str]) -> None:
    api, admin = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        failures += _explore(operation, auth(admin))
    assert failures == []


def _explore(operation: Any, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def explore(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as failure:  # every failing case is reported, not just the first
            found.append(f"{operation.label}: {str(failure)[:600]}")

    explore()
    return found
