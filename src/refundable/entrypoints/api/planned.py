"""Routes called with their few arguments directly, not through FastAPI's dependency solver
(ADR 0074).

FastAPI resolves a route's parameters per request by walking its dependency tree: for each
dependency it computes a cache key, reads the query string, the cookies and the headers, and
builds a fresh result object, whatever the route declares. For ``POST
/v1/decisions/preview`` that walk cost more than the role check it ends in (about a tenth of
the request's CPU under load).

A route is *planned* when everything it takes is the request, at most one JSON body model,
and dependencies that themselves take only the request (the role check of :mod:`auth`, the
service state), are coroutines, and depend on nothing else. Such a route's plan is worked
out once, and each request then goes through the steps of FastAPI's own handler, in its
order, calling the same functions for the parts that decide what a client sees:

1. the body is read and parsed as FastAPI reads it (the same content-type rule, the same
   ``json_invalid`` error);
2. each dependency is awaited with the request, in the declared order (a route naming one
   callable twice is left to FastAPI, whose per-request cache calls it once);
3. the body is validated by FastAPI's ``request_body_to_args`` (same errors, same locations);
4. the endpoint is awaited; a ``Response`` it returns is sent as it is, anything else goes
   through FastAPI's ``serialize_response`` with the route's response model and status.

What the route does, which errors it raises and the OpenAPI document are unchanged; any other
route (path, query, header or cookie parameters, a form, several body parameters, a sync or
nested dependency, a streamed or custom response class) keeps FastAPI's handler. FastAPI's
own telemetry spans are not opened on a planned route (the service turns them off, ADR 0060).
"""

from __future__ import annotations

import email.message
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, params
from fastapi._body_limit import get_body_limit_error
from fastapi._compat import Undefined
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_OTHER_PARAMS = ("path_params", "query_params", "header_params", "cookie_params")
_OTHER_NAMES = (
    "websocket_param_name", "http_connection_param_name", "response_param_name",
    "background_tasks_param_name", "security_scopes_param_name",
)  # fmt: skip


def planned_handler(route: APIRoute) -> Handler | None:
    """The direct handler of ``route``, or None when FastAPI's must run (see the module)."""
    endpoint = route.dependant
    if _takes_more_than_the_request(endpoint):
        return None
    body_fields = list(endpoint.body_params)
    if len(body_fields) > 1 or (body_fields and not _json_model(route)):
        return None
    if route.stream_item_field is not None or route.is_json_stream:
        return None
    if not _default_json(route) and (
        route.response_field is not None or not _returns_a_response(endpoint.call)
    ):
        return None  # a custom response class: only for a route that makes its own response
    steps: list[tuple[str, Callable[..., Awaitable[Any]], str]] = []
    for sub in endpoint.dependencies:
        call = sub.call
        if (
            sub.name is None
            or call is None
            or not sub.use_cache
            or any(call is seen for _, seen, _ in steps)  # named twice: FastAPI calls it once
            or _takes_more_than_the_request(sub)
            or sub.body_params
            or sub.dependencies
            or sub.request_param_name is None
            or not _is_coroutine(call)
        ):
            return None
        steps.append((sub.name, call, sub.request_param_name))
    call = endpoint.call
    request_name = endpoint.request_param_name
    if call is None or not _is_coroutine(call):
        return None

    strict = route.strict_content_type
    strict_type = strict.value if isinstance(strict, DefaultPlaceholder) else strict
    embed = route._embed_body_fields
    # what follows the endpoint's result is fixed per route: worked out here, once
    status = route.status_code or 200
    as_model = route.response_field is not None
    with_body = is_body_allowed_for_status_code(status)

    async def handler(request: Request) -> Response:
        body = await _json_body(request, strict_type) if body_fields else None
        values = {name: await dependency(**{param: request}) for name, dependency, param in steps}
        if body_fields:
            found, errors = await request_body_to_args(body_fields, body, embed)
            if errors:
                raise RequestValidationError(errors, body=None if body is Undefined else body)
            values.update(found)
        if request_name is not None:
            values[request_name] = request
        raw = await call(**values)
        if isinstance(raw, Response):
            return raw
        content = await serialize_response(
            field=route.response_field,
            response_content=raw,
            include=route.response_model_include,
            exclude=route.response_model_exclude,
            by_alias=route.response_model_by_alias,
            exclude_unset=route.response_model_exclude_unset,
            exclude_defaults=route.response_model_exclude_defaults,
            exclude_none=route.response_model_exclude_none,
            is_coroutine=True,
            dump_json=as_model,
        )
        if as_model:
            response: Response = Response(content, status, media_type="application/json")
        else:
            response = JSONResponse(content, status)
        if not with_body:
            response.body = b""
        return response

    return handler


async def _json_body(request: Request, strict_content_type: bool) -> Any:
    """The body as FastAPI's handler hands it to a JSON body parameter: parsed when the
    content type is JSON (or absent and the route is not strict), else the bytes (which then
    fail validation); a body that is not JSON is FastAPI's ``json_invalid`` error."""
    if hasattr(request, "_json"):  # read and gated already (json_body): not parsed again
        return request._json
    try:
        raw = await request.body()
        if not raw:
            return Undefined  # FastAPI's "no body" (a required model then reports it missing)
        content_type = request.headers.get("content-type")
        if not content_type:
            return raw if strict_content_type else await request.json()
        message = email.message.Message()
        message["content-type"] = content_type
        if message.get_content_maintype() == "application":
            subtype = message.get_content_subtype()
            if subtype == "json" or subtype.endswith("+json"):
                return await request.json()
        return raw
    except json.JSONDecodeError as e:
        error = {"type": "json_invalid", "loc": ("body", e.pos), "msg": "JSON decode error",
                 "input": {}, "ctx": {"error": e.msg}}  # fmt: skip
        raise RequestValidationError([error], body=e.doc) from e
    except HTTPException:
        raise
    except Exception as e:
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (limit := get_body_limit_error(e)):
            raise limit from e
        raise HTTPException(400, "There was an error parsing the body") from e


def _default_json(route: APIRoute) -> bool:
    kind = route.response_class
    return isinstance(kind, DefaultPlaceholder) and kind.value is JSONResponse


def _json_model(route: APIRoute) -> bool:
    field = route.body_field
    return field is not None and not isinstance(field.field_info, params.Form)


def _takes_more_than_the_request(dependant: Dependant) -> bool:
    """Path, query, header or cookie parameters, or the connection, response, background
    tasks or security scopes: what only FastAPI's solver provides."""
    return any(getattr(dependant, name) for name in _OTHER_PARAMS + _OTHER_NAMES)


def _is_coroutine(call: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(call):
        return True
    dunder = getattr(call, "__call__", None)  # noqa: B004 (an instance with async __call__)
    return not inspect.isfunction(call) and inspect.iscoroutinefunction(dunder)


def _returns_a_response(call: Callable[..., Any] | None) -> bool:
    if call is None:
        return False
    try:
        returned = typing.get_type_hints(call).get("return")
    except Exception:  # an annotation that does not resolve: leave it to FastAPI
        return False
    return isinstance(returned, type) and issubclass(returned, Response)
