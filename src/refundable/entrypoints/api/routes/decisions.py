"""``/v1/decisions``: decide a request under the tenant's policy, with nothing recorded
(``preview``) or recorded for the money that follows it (a refund, credit or fee names it).

The request is in the public vocabulary (docs/request-vocabulary.md); ``policy`` may be left
out, and one naming another tenant's policy is refused. It passes the same text gates as the
CLI's (size, depth, duplicate keys), then the vocabulary's checks.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import InputError, NotFound
from refundable.core.limits import ID_PATTERN
from refundable.core.textinput import check_text, load_json
from refundable.entrypoints.api.auth import Agent, Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS, problems
from refundable.entrypoints.api.openapi_schemas import COMPONENTS
from refundable.entrypoints.api.routes.common import Listing, State, command_key, run
from refundable.entrypoints.api.state import api_state
from refundable.ledger.decisions import DecisionRecord
from refundable.service import commands as c

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], route_class=IdempotentRoute)


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": COMPONENTS + ref}}}


REQUEST_BODY = {"required": True, "content": _json("RefundRequest")}
RECORD_BODY = {"required": True, "content": _json("DecisionToRecord")}
# The schemas of the recorded decision and its list (added to the document by create_app).
SCHEMAS: dict[str, Any] = {
    "DecisionToRecord": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "customer", "request"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "customer": {"type": "string", "pattern": ID_PATTERN},
            "request": {"$ref": COMPONENTS + "RefundRequest"},
        },
    },
    "RecordedDecision": {
        "type": "object",
        "required": ["object", "id", "customer", "decided_at", "decision"],
        "properties": {
            "object": {"const": "decision"},
            "id": {"type": "string"},
            "customer": {"type": "string"},
            "decided_at": {"type": "string"},
            "decision": {"$ref": COMPONENTS + "Decision"},
        },
    },
    "RecordedDecisionList": {
        "type": "object",
        "required": ["object", "url", "has_more", "data"],
        "properties": {
            "object": {"const": "list"},
            "url": {"type": "string"},
            "has_more": {"type": "boolean"},
            "data": {"type": "array", "items": {"$ref": COMPONENTS + "RecordedDecision"}},
        },
    },
}


def _ok(schema: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": _json(schema), "description": what}}


def _send(body: Any, status: int = 200) -> Response:
    """JSON out by pydantic-core's serializer (several times faster than ``json.dumps`` on a
    decision with its trace; same text, UTF-8, keys in order)."""
    return Response(to_json(body), status, media_type="application/json")


def record_out(r: DecisionRecord) -> dict[str, Any]:
    return {
        "object": "decision",
        "id": r.decision_id,
        "customer": r.customer_id,
        "decided_at": r.decided_at.isoformat(),
        "decision": json.loads(r.body),
    }


async def _body(request: Request) -> Any:
    return load_json(check_text(await request.body()))


@router.post(
    "/preview",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={**_ok("Decision", "The decision"), **AUTH_ERRORS, **problems(400, 404, 413, 415)},
    response_class=Response,
)
async def preview(request: Request, who: Reader) -> Response:
    """Decide a request under the tenant's policy version in force at its ``requested_at``:
    outcome, remedy, amounts, cited clauses, deadlines and the trace. Records nothing."""
    data = await _body(request)
    state = api_state(request)
    if state.previewer.is_warm(who.tenant_id):  # pure CPU (~0.1 ms): no thread hop
        decision = state.previewer.preview(who.tenant_id, data)
    else:
        decision = await run_in_threadpool(state.previewer.preview, who.tenant_id, data)
    return _send(decision.to_dict())


@router.post(
    "",
    status_code=201,
    openapi_extra={"requestBody": RECORD_BODY},
    responses={
        201: {"content": _json("RecordedDecision"), "description": "Recorded"},
        **WRITE_ERRORS,
        **problems(400),
    },
    response_class=Response,
)
async def record(request: Request, who: Agent, state: State) -> Response:
    """Decide a customer's request and record the decision (version, rule, clauses, amounts),
    so a refund, credit or fee can carry it out."""
    data = await _body(request)
    if not isinstance(data, dict) or set(data) != {"id", "customer", "request"}:
        raise InputError(
            "the body needs exactly id, customer and request",
            where="body",
            allowed='{"id": ..., "customer": ..., "request": {...}}',
        )
    parsed = await run_in_threadpool(state.previewer.parse, who.tenant_id, data["request"])
    await run(
        state,
        c.DecideRefund(
            who.tenant_id, command_key(request), str(data["id"]), str(data["customer"]), parsed
        ),
    )
    found = await _record(state, who.tenant_id, str(data["id"]))
    return _send(record_out(found), 201)


@router.get(
    "", responses={**_ok("RecordedDecisionList", "A page"), **AUTH_ERRORS}, response_class=Response
)
async def list_decisions(request: Request, who: Reader, state: State, page: Listing) -> Response:
    found = await run_in_threadpool(
        state.resources.decisions, who.tenant_id, page.limit, page.starting_after
    )
    return _send(
        {
            "object": "list",
            "url": request.url.path,
            "has_more": found.has_more,
            "data": [record_out(r) for r in found.items],
        }
    )


@router.get(
    "/{decision_id}",
    responses={**_ok("RecordedDecision", "The decision"), **AUTH_ERRORS, **problems(404)},
    response_class=Response,
)
async def get_decision(decision_id: str, who: Reader, state: State) -> Response:
    return _send(record_out(await _record(state, who.tenant_id, decision_id)))


async def _record(state: State, tenant: str, decision_id: str) -> DecisionRecord:
    found = await run_in_threadpool(state.resources.decision, tenant, decision_id)
    if found is None:
        raise NotFound(f"no decision {decision_id!r}", where="decision_id")
    return found
