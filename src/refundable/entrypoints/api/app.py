"""``create_app``: a bootstrapped service to a FastAPI application.

The factory wires the shared state, the problem+json handlers, the ``/v1`` routers and the
OpenAPI document (with the request and decision schemas of ``policy.vocabulary``). The web
console and customer portal are mounted in ONE marked place below, so the API and the pages
share one process, one port and one store.
"""

from __future__ import annotations

import weakref
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from refundable.bootstrap import App
from refundable.config import Settings
from refundable.core.errors import RefundableError
from refundable.entrypoints.api import metrics as metrics_routes
from refundable.entrypoints.api import problems
from refundable.entrypoints.api.body_cap import BodyCap
from refundable.entrypoints.api.logs import RequestIds
from refundable.entrypoints.api.metrics import Metrics, Snapshot
from refundable.entrypoints.api.openapi_schemas import hoist, request_for_tenant
from refundable.entrypoints.api.route_guard import guard_routers
from refundable.entrypoints.api.routes import (
    cases,
    clocks,
    customers,
    decisions,
    gateway,
    health,
    lots,
    money,
    policies,
    reports,
    subscriptions,
)
from refundable.entrypoints.api.routes import keys as key_routes
from refundable.entrypoints.api.state import ApiState, stores_for
from refundable.policy.document import Outcome, Remedy
from refundable.service.decisions import DecisionKind, DecisionSeen
from refundable.service.preview import Previewer

API_VERSION = "1"
ROUTERS = (
    health.router,
    metrics_routes.router,
    decisions.router,
    customers.router,
    money.router,
    lots.router,
    clocks.router,
    policies.router,
    reports.router,
    key_routes.router,
    subscriptions.router,
    cases.router,
    gateway.router,
)


def create_app(app: App, settings: Settings, *, ready: bool = True) -> Any:
    """The ASGI application for ``app`` (typed ``Any`` only to keep FastAPI out of the
    signature's import cost for callers that never serve)."""
    keys, idempotency, resources = stores_for(app)
    api = FastAPI(
        title="Refundable API",
        version=API_VERSION,
        description="Refund, cancellation and credit decisions by policy; the ledger they move.",
        # Our own Prometheus metrics and JSON logs (ADR 0060) are the telemetry; FastAPI's
        # OpenTelemetry hooks asked the environment for a provider on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    metrics = Metrics()
    previewer = Previewer(app.bus.read_uow_factory, app.catalog)
    # every decision this process makes, counted where it is made (ADR 0084)
    previewer.decision_watchers.append(metrics.count_decision)
    app.bus.decision_watchers.append(_weakly(metrics))
    api.state.api = ApiState(app, settings, keys, idempotency, previewer, metrics, resources, ready)
    _handlers(api)
    api.add_middleware(BodyCap)  # inside RequestIds: a refusal carries the request id
    api.add_middleware(RequestIds, observe=metrics.observe_request)
    for router in ROUTERS:
        api.include_router(router)
    guard_routers(api.router)  # skip the routers that cannot match a path (route_guard)
    metrics.plain_paths = frozenset(
        r.path for r in api.routes if isinstance(r, Route) and not isinstance(r, APIRoute)
    )
    api.state.api.case_gauges = _gauges(app, metrics)
    _mount_web(api, app, settings, previewer)
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]
    return api


def _weakly(metrics: Metrics) -> DecisionSeen:
    """``metrics.count_decision`` for the bus, which may outlive this application (tests
    build one per test over a shared store): it does not keep the metrics alive."""
    ref = weakref.ref(metrics)

    def count(kind: DecisionKind, outcome: Outcome, remedy: Remedy) -> None:
        found = ref()
        if found is not None:
            found.count_decision(kind, outcome, remedy)

    return count


def _gauges(app: App, metrics: Metrics) -> Snapshot | None:
    """The outbox's lag (read at scrape time: one aggregate), and open cases at risk or past a
    deadline (a snapshot the serve loop refreshes: one aggregate over the cases' clock
    columns, ADR 0080)."""
    if app.engine is None:
        return None
    from refundable.adapters.db.ops_queries import case_deadlines, outbox_lag

    engine = app.engine
    metrics.add_gauges(
        lambda: outbox_lag(engine, app.clock.now()),
        "refundable_outbox",
        "Unsent outbox messages (count) and the age of the oldest (seconds)",
    )
    if app.cases_read is None:
        return None
    snapshot = Snapshot(lambda: case_deadlines(engine, app.clock.now()))
    metrics.add_gauges(
        snapshot,
        "refundable_open_cases",
        "Open refund cases: at_risk (past a warning), breached (past a deadline), open (all); "
        "counted by the scheduled-work loop",
    )
    return snapshot


def _handlers(api: FastAPI) -> None:
    api.add_exception_handler(RefundableError, problems.from_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, problems.from_validation)  # type: ignore[arg-type]
    api.add_exception_handler(HTTPException, problems.from_http)  # type: ignore[arg-type]
    api.add_exception_handler(ClientDisconnect, problems.from_disconnect)
    api.add_exception_handler(Exception, problems.from_unexpected)


# ---- THE web mount (console and portal, helper h21-web) -------------------------------------
def _mount_web(api: FastAPI, app: App, settings: Settings, previewer: Previewer) -> None:
    """Mount the agent console (``/console/``) and customer portal (``/portal/``): an ASGI
    sub-app that claims only its own paths, so ``/v1`` keeps its problem+json 404. The only
    place the API knows about the pages; the portal's sign-in mail goes through
    ``mailer_for(settings)``."""
    from refundable.entrypoints.web import PagesMount, build_web, mailer_for

    pages = build_web(app, settings, mailer_for(settings), previewer=previewer)
    api.router.routes.append(PagesMount(pages))


# ----------------------------------------------------------------------------------------------


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: the first response to this key is replayed for 24 h",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def _idempotency_header(doc: dict[str, Any]) -> None:
    """Every POST takes ``Idempotency-Key`` (the route class handles it) and may answer 409
    (the first request with the key is still running), 422 (the key was used with another
    request) or 413 (a body past its cap, ``body_cap``)."""
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in doc["paths"].values():
        post = operations.get("post")
        if post is None:
            continue
        post.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
        for status in ("409", "413", "422"):
            post["responses"].setdefault(
                status,
                {
                    "description": "A problem",
                    "content": {"application/problem+json": {"schema": problem}},
                },
            )


def _openapi(api: FastAPI) -> dict[str, Any]:
    if api.openapi_schema is not None:
        return api.openapi_schema
    from refundable.policy.vocabulary import decision_schema, request_schema

    doc = get_openapi(
        title=api.title, version=api.version, description=api.description, routes=api.routes
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    hoist(request_for_tenant(request_schema()), "RefundRequest", schemas)
    hoist(decision_schema(), "Decision", schemas)
    schemas.update(decisions.SCHEMAS)
    _idempotency_header(doc)
    api.openapi_schema = doc
    return doc
