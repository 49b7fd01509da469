"""The HTTP API over both stores: a client per test, a fresh tenant with one key per role, and
a second tenant (with its own key and data) that no request of the first may ever see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from api_helpers import Keys
from fastapi.testclient import TestClient

from fakes import open_tenant
from refundable.bootstrap import App
from refundable.config import Settings
from refundable.entrypoints.api.app import create_app
from refundable.service.access import Role, create_key


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    api = create_app(app, Settings())
    with TestClient(api, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def keys(app: App, client: TestClient, tenant: str) -> Keys:
    store = client.app.state.api.keys  # type: ignore[attr-defined]
    now = app.clock.now()
    made = {role: create_key(store, tenant, role, f"test {role}", now) for role in Role}
    other = f"o{uuid.uuid4().hex[:16]}"
    open_tenant(app, other)
    other_admin = create_key(store, other, Role.admin, "other admin", now)
    return Keys(tenant, made[Role.admin], made[Role.agent], made[Role.read_only], other,
                other_admin)  # fmt: skip
