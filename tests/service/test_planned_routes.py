"""Planned routes (``entrypoints.api.planned``, ADR 0074) answer as FastAPI's own handler does.

The same service is served twice: once as the service runs (planned routes skip FastAPI's
dependency solver), once with planning turned off (every route through FastAPI's handler).
Every planned route then gets the same requests on both, the ones where the two paths could
part: no body, a body that is not JSON, another content type, no content type, a JSON array,
wrong and missing fields, no key, a bad key, a key of too low a role, a preview that succeeds.
Each pair of answers must match: status, content type, and the body (request ids aside).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fakes import T0, TENANT, open_tenant
from refundable.bootstrap import bootstrap
from refundable.config import Settings
from refundable.core.time import FixedClock
from refundable.entrypoints.api import idempotent
from refundable.entrypoints.api.app import create_app
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.planned import planned_handler
from refundable.service.access import Role, create_key

JSON = {"content-type": "application/json"}
BODIES: list[tuple[str, bytes | None, dict[str, str]]] = [
    ("no body", None, {}),
    ("not JSON", b'{"id": ', JSON),
    ("text/plain", b'{"id": "x"}', {"content-type": "text/plain"}),
    ("no content type", b'{"id": "x"}', {}),
    ("+json type", b'{"id": "x"}', {"content-type": "application/merge-patch+json"}),
    ("a JSON array", b"[1, 2]", JSON),
    ("wrong types", b'{"id": 5, "customer": [], "amount": {}}', JSON),
    ("unknown field", b'{"nonsense": true}', JSON),
]
PREVIEW = {
    "requested_at": "2026-04-10T10:00:00+02:00", "reason": "duplicate_charge",
    "charge": {"id": "c1", "kind": "subscription", "billing": "monthly", "amount": "10.00",
               "currency": "ZAR", "charged_at": "2026-04-01T10:00:00+02:00"},
}  # fmt: skip


def _routes(api: Any) -> list[APIRoute]:
    found: list[APIRoute] = []
    for entry in api.router.routes:
        inner = getattr(entry, "original_router", None)
        for route in inner.routes if inner is not None else [entry]:
            if isinstance(route, IdempotentRoute) and planned_handler(route) is not None:
                found.append(route)
    return found


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, TestClient, dict[Role, str]]]:
    # one SQLite file under both: the keys made through one app's store are the other's too
    app = bootstrap(f"sqlite:///{tmp_path_factory.mktemp('planned') / 'p.db'}", FixedClock(T0))
    open_tenant(app)
    planned = TestClient(create_app(app, Settings()), raise_server_exceptions=False)
    with pytest.MonkeyPatch.context() as patch:
        # the included routers' route handlers are built with the app (route_guard): the
        # stock app is made while planning is off
        patch.setattr(idempotent, "planned_handler", lambda route: None)
        stock = TestClient(create_app(app, Settings()), raise_server_exceptions=False)
    with planned, stock:
        store = planned.app.state.api.keys  # type: ignore[attr-defined]
        now = app.clock.now()
        keys = {role: create_key(store, TENANT, role, f"planned {role}", now) for role in Role}
        yield planned, stock, keys
    app.close()


def _seen(response: Any) -> tuple[int, str, Any]:
    kind = response.headers.get("content-type", "")
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, kind, body


def _both(pair: Any, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Any:
    planned, stock, _ = pair
    a = planned.request(method, path, content=body, headers=headers)
    b = stock.request(method, path, content=body, headers=headers)
    return _seen(a), _seen(b)


def test_the_hot_routes_are_planned(pair: Any) -> None:
    paths = {r.path for r in _routes(pair[0].app)}
    assert {"/v1/decisions/preview", "/v1/cases", "/v1/customers", "/v1/charges"} <= paths


def test_a_planned_route_skips_the_dependency_solver_and_the_stock_one_does_not(
    pair: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fastapi.routing

    calls: list[str] = []
    real = fastapi.routing.solve_dependencies

    async def counted(**kw: Any) -> Any:
        calls.append(kw["request"].url.path)
        return await real(**kw)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    planned, stock, keys = pair
    auth = {"Authorization": f"Bearer {keys[Role.read_only]}"}
    assert planned.post("/v1/decisions/preview", json=PREVIEW, headers=auth).status_code == 200
    assert calls == []
    assert stock.post("/v1/decisions/preview", json=PREVIEW, headers=auth).status_code == 200
    assert calls == ["/v1/decisions/preview"]


@pytest.mark.parametrize("case", [b[0] for b in BODIES])
def test_a_planned_route_answers_a_bad_body_as_fastapi_does(pair: Any, case: str) -> None:
    _, body, headers = next(b for b in BODIES if b[0] == case)
    admin = {"Authorization": f"Bearer {pair[2][Role.admin]}", **headers}
    refused = 0
    for route in _routes(pair[0].app):
        for method in route.methods:
            planned, stock = _both(pair, method, route.path, body, admin)
            assert planned == stock, (method, route.path, case)
            refused += planned[0] in (400, 415, 422)
    assert refused > 0  # the body was refused somewhere: the error paths were compared


@pytest.mark.parametrize("who", ["no key", "a bad key", "read-only"])
def test_a_planned_route_refuses_a_caller_as_fastapi_does(pair: Any, who: str) -> None:
    headers = dict(JSON)
    if who == "a bad key":
        headers["Authorization"] = "Bearer rk_nobody.secret"
    elif who == "read-only":
        headers["Authorization"] = f"Bearer {pair[2][Role.read_only]}"
    refused = 0
    for route in _routes(pair[0].app):
        for method in route.methods:
            planned, stock = _both(pair, method, route.path, json.dumps({}).encode(), headers)
            assert planned == stock, (method, route.path, who)
            refused += planned[0] in (401, 403)
    assert refused > 0  # the callers were refused somewhere, not only for their bodies


def test_a_preview_that_succeeds_is_the_same_decision(pair: Any) -> None:
    auth = {"Authorization": f"Bearer {pair[2][Role.read_only]}", **JSON}
    planned, stock = _both(
        pair, "POST", "/v1/decisions/preview", json.dumps(PREVIEW).encode(), auth
    )
    assert planned[0] == 200
    assert planned == stock
