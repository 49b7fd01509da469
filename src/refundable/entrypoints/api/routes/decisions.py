"""``POST /v1/decisions/preview``: what a request would get, with nothing recorded.

The body is a refund request in the public vocabulary (docs/request-vocabulary.md); ``policy``
may be left out, and one naming another tenant's policy is refused. The body passes the same
text gates as the CLI's (size, depth, duplicate keys), then the vocabulary's checks.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from refundable.core.textinput import check_text, load_json
from refundable.entrypoints.api.auth import Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, problems
from refundable.entrypoints.api.openapi_schemas import COMPONENTS
from refundable.entrypoints.api.state import api_state

router = APIRouter(prefix="/v1/decisions", tags=["decisions"], route_class=IdempotentRoute)

REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": COMPONENTS + "RefundRequest"}}},
}
DECISION = {"application/json": {"schema": {"$ref": COMPONENTS + "Decision"}}}


@router.post(
    "/preview",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        200: {"content": DECISION, "description": "The decision"},
        **AUTH_ERRORS,
        **problems(400, 404, 413, 415),
    },
    response_class=Response,
)
async def preview(request: Request, who: Reader) -> Response:
    """Decide a request under the tenant's policy version in force at its ``requested_at``:
    outcome, remedy, amounts, cited clauses, deadlines and the trace. Records nothing."""
    body = await request.body()
    data = load_json(check_text(body))
    state = api_state(request)
    decision = await run_in_threadpool(state.previewer.preview, who.tenant_id, data)
    state.metrics.decisions.labels(decision.outcome.value, "preview").inc()
    return Response(
        json.dumps(decision.to_dict(), ensure_ascii=False), 200, media_type="application/json"
    )
