"""The guarded routers (``entrypoints.api.route_guard``) answer every request as FastAPI's own
included routers do: for any path and method, each guarded entry says the same "match / no
match" with the same path parameters as the plain entry it replaced, and leaves the request
scope the same. The application tries its entries in order and acts only on those answers,
so the same route answers every request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, _IncludedRouter
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes import memory_app
from refundable.config import Settings
from refundable.entrypoints.api.app import create_app
from refundable.entrypoints.api.route_guard import GuardedRouter

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")
_PARAM = re.compile(r"\{[^}]+\}")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir: Path = tmp_path_factory.mktemp("guard")
    return create_app(memory_app(), Settings(data_dir=data_dir))


def _pairs(api: Any) -> list[tuple[GuardedRouter, _IncludedRouter]]:
    """Each guarded entry and a plain twin (kept: a new entry rebuilds its routes' contexts)."""
    found: list[tuple[GuardedRouter, _IncludedRouter]] | None = getattr(api.state, "pairs", None)
    if found is None:
        found = api.state.pairs = [
            (
                g,
                _IncludedRouter(
                    original_router=g.original_router, include_context=g.include_context
                ),
            )
            for g in api.router.routes
            if isinstance(g, GuardedRouter)
        ]
    return found


def _templates(api: Any) -> list[str]:
    return [
        c.path_format
        for g, _ in _pairs(api)
        for c in g.effective_candidates()
        if isinstance(c.original_route, APIRoute)
    ]


def _scope(path: str, method: str) -> dict[str, Any]:
    return {
        "type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
        "headers": [], "path_params": {},
    }  # fmt: skip


def _same_answers(api: Any, path: str) -> None:
    for guarded, plain in _pairs(api):
        for method in METHODS:
            mine, theirs = _scope(path, method), _scope(path, method)
            assert guarded.matches(mine) == plain.matches(theirs), (path, method)
            assert mine == theirs, (path, method)


def _probes(api: Any) -> set[str]:
    out = {"/", "/v1", "/v1/", "/v1/nothing", "/console/", "/portal/", "/docs", "/health/"}
    for template in _templates(api):
        path = _PARAM.sub("x1", template)
        parent = path.rsplit("/", 1)[0] or "/"
        out |= {path, path + "/", path + "/more", parent, parent + "/", path.upper()}
        out.add(_PARAM.sub("a/b", template))  # a parameter never spans a slash
    return out


def test_every_api_router_is_guarded(api: Any) -> None:
    pairs = _pairs(api)
    assert len(pairs) >= 10
    for guarded, _ in pairs:
        guarded.matches(_scope("/", "GET"))  # builds the guard
        assert guarded.guard is not None, guarded.original_router.prefix


def test_each_route_and_its_neighbours_get_the_same_answer(api: Any) -> None:
    for path in sorted(_probes(api)):
        _same_answers(api, path)


def test_each_route_is_still_found_where_it_was(api: Any) -> None:
    """Every route template resolves to the router and route that held it."""
    for guarded, _ in _pairs(api):
        for candidate in guarded.effective_candidates():
            route = candidate.original_route
            assert isinstance(route, APIRoute)
            for method in route.methods:
                scope = _scope(_PARAM.sub("x1", candidate.path_format), method)
                match, _, found, _ = guarded._match(scope)
                assert match.name == "FULL" and found is not None
                assert getattr(found, "path", None) is not None


SEGMENTS = st.sampled_from(
    ["v1", "cases", "customers", "health", "ready", "metrics", "decisions", "preview",
     "subscriptions", "cancel", "undo", "events", "gateway", "stripe", "x", "", "%20", "é"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENTS | st.text(max_size=6), max_size=6), st.booleans())
def test_any_path_gets_the_same_answer(api: Any, segments: list[str], slash: bool) -> None:
    _same_answers(api, "/" + "/".join(segments) + ("/" if slash else ""))


def test_a_route_added_after_inclusion_is_found() -> None:
    from fastapi import APIRouter, FastAPI

    from refundable.entrypoints.api.route_guard import guard_routers

    router = APIRouter()
    router.add_api_route("/a", lambda: "a")
    api = FastAPI()
    api.include_router(router)
    guard_routers(api.router)
    (guarded,) = [r for r in api.router.routes if isinstance(r, GuardedRouter)]
    assert guarded.matches(_scope("/b", "GET"))[0].name == "NONE"
    router.add_api_route("/b", lambda: "b")
    assert guarded.matches(_scope("/b", "GET"))[0].name == "FULL"


def test_the_guards_are_built_with_the_app_not_by_its_first_request(tmp_path: Path) -> None:
    fresh = create_app(memory_app(), Settings(data_dir=tmp_path))  # no request made yet
    guarded = [g for g in fresh.router.routes if isinstance(g, GuardedRouter)]
    assert guarded and all(g.guard is not None for g in guarded)
    assert all(g.guard_version == g.original_router._routes_version for g in guarded)
