"""A cheap "not here" for each included router, so a request stops paying for every router
in front of the one that answers.

FastAPI 0.165 keeps each ``include_router`` as one nested entry of the application's router.
The application tries them in order, and asking an entry "do you match?" walks every route
of that router (with scope bookkeeping around each); the router that matches is then walked
a second time to pick its route. ``POST /v1/cases`` is in the twelfth of thirteen routers, so
a case intake ran some 13 router walks and 63 route matches, about 15 % of its CPU.

A guarded entry first matches the request path against one regular expression, the union
of its routes' own path expressions. When that fails, no route of the router can match (an
API route answers only a path its expression matches), so the answer "no match" is the one
the walk would have given; otherwise the entry walks its routes exactly as before. Which
route answers a request, with which path parameters, is therefore unchanged: only the
walks that could not match are skipped. A router holding anything but plain API routes
(a mount, a nested router, a websocket route) keeps no guard and is always walked, and a
router given new routes after inclusion gets its guard rebuilt (FastAPI's routes version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute, _EffectiveRouteContext, _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

_FASTAPI_SCOPE_KEY = "fastapi"  # FastAPI's per-request bookkeeping (its matches creates it)
_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


@dataclass
class GuardedRouter(_IncludedRouter):
    """An included router that refuses at once a path none of its routes can match."""

    guard: re.Pattern[str] | None = None
    guard_version: int | None = None  # the router's routes version the guard was built on

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # FastAPI bumps the version when the router gains routes (a FastAPI without it leaves
        # the version None: no guard is built, every request walks the routes as before)
        version = getattr(self.original_router, "_routes_version", None)
        if version != self.guard_version:
            self.guard, self.guard_version = guard_of(self), version
        if self.guard is not None and self.guard.match(get_route_path(scope)) is None:
            scope.setdefault(_FASTAPI_SCOPE_KEY, {})  # as the full walk leaves it
            return Match.NONE, {}
        return super().matches(scope)


def guard_of(included: _IncludedRouter) -> re.Pattern[str] | None:
    """The union of the router's route path expressions, or None when a route is not a
    plain API route (its matching is not only its path expression)."""
    patterns: list[str] = []
    for candidate in included.effective_candidates():
        if not isinstance(candidate, _EffectiveRouteContext):
            return None
        if not isinstance(candidate.original_route, APIRoute) or candidate.path_regex is None:
            return None
        # Starlette escapes the literal parts of a path; the only named groups are the path
        # parameters', which an alternation cannot repeat: they become plain groups.
        patterns.append(_NAMED_GROUP.sub("(?:", candidate.path_regex.pattern))
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return None


def guard_routers(router: APIRouter) -> None:
    """Replace each router included in ``router`` by its guarded twin (same router, same
    inclusion context: same routes, same order), its guard built now: at start-up, not in the
    first request (building the routes' contexts took that request ~130 ms). Call it once
    every router is included."""
    routes: list[Any] = router.routes
    for i, route in enumerate(routes):
        if type(route) is _IncludedRouter:
            guarded = GuardedRouter(
                original_router=route.original_router, include_context=route.include_context
            )
            guarded.guard = guard_of(guarded)
            guarded.guard_version = getattr(guarded.original_router, "_routes_version", None)
            routes[i] = guarded
