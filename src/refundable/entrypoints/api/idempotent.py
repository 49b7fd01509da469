"""``Idempotency-Key`` on every POST: one route class does it for every route (ADR 0058).

The route authenticates first (keys are per tenant, so are idempotency records), fingerprints
the method, path and exact body, and asks :mod:`refundable.service.idempotency` whether to run
or replay. A run's response, success or client error, is stored and replayed with the header
``Idempotent-Replayed: true``; a server error releases the key so a retry runs again.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import RefundableError
from refundable.entrypoints.api.auth import principal_of
from refundable.entrypoints.api.json_body import read_json_body, takes_a_json_body
from refundable.entrypoints.api.planned import planned_handler
from refundable.entrypoints.api.problems import PROBLEM_JSON, from_error, from_validation
from refundable.entrypoints.api.state import api_state
from refundable.service import idempotency as idem

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"


class IdempotentRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # a route taking only the request and request-only dependencies skips FastAPI's
        # per-request dependency solver (ADR 0074); any other keeps FastAPI's handler
        inner = planned_handler(self) or super().get_route_handler()
        if takes_a_json_body(self):
            inner = _gated(inner)

        async def handler(request: Request) -> Response:
            key = request.headers.get(HEADER)
            if request.method != "POST" or key is None:
                return await inner(request)
            return await _once(request, idem.check_key(key), inner)

        return handler


def _gated(
    inner: Callable[[Request], Coroutine[Any, Any, Response]],
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """A body model's route reads its body through the preview's gates first (json_body)."""

    async def handler(request: Request) -> Response:
        await read_json_body(request)
        return await inner(request)

    return handler


async def _once(
    request: Request, key: str, inner: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    state = api_state(request)
    tenant = (await principal_of(request, state)).tenant_id
    digest = idem.fingerprint(request.method, request.url.path, await request.body())
    now = state.app.clock.now()
    verdict, stored = await run_in_threadpool(
        idem.begin, state.idempotency, tenant, key, digest, now
    )
    if verdict is idem.Verdict.replay and stored is not None:
        status = stored.status or 200
        media = PROBLEM_JSON if status >= 400 else "application/json"
        return Response(stored.body, status, {REPLAYED: "true"}, media_type=media)
    try:
        response = await inner(request)
    except RefundableError as error:
        response = from_error(request, error)
    except RequestValidationError as error:
        response = from_validation(request, error)
    except BaseException:
        await run_in_threadpool(state.idempotency.release, tenant, key)
        raise
    if response.status_code >= 500:
        await run_in_threadpool(state.idempotency.release, tenant, key)
        return response
    body = bytes(response.body).decode()
    done_at = state.app.clock.now()
    await run_in_threadpool(
        state.idempotency.finish, tenant, key, response.status_code, body, done_at
    )
    return response
