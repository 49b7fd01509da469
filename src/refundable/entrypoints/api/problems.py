"""Errors as RFC 9457 problem details, from the one error tree and its STATUS table.

Every error the API returns has the same shape: ``type`` (a URN naming the stable code),
``title``, ``status``, ``detail`` (the sentence a person can act on), ``instance`` (the path),
plus the extension members ``code`` (the stable code clients branch on), ``where``,
``allowed``, ``problems`` (every problem of the input at once) and ``request_id``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from refundable.core.errors import RefundableError, status_of

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:refundable:problem:"
_LOG = logging.getLogger("refundable.api")
_HTTP_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "input_too_large",
    415: "input_not_text",
}


def problem_body(
    code: str, status: int, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(content, body["status"], headers, media_type=PROBLEM_JSON)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def from_error(request: Request, error: RefundableError) -> Response:
    status = status_of(error).http
    problems = error.details.get("problems")
    body = problem_body(
        error.code,
        status,
        error.message,
        request.url.path,
        where=error.where,
        allowed=error.allowed,
        problems=[str(p) for p in problems] if problems else None,
        request_id=_request_id(request),
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem_response(body, headers)


def from_validation(request: Request, error: RequestValidationError) -> Response:
    """FastAPI's own checks (query, path, headers, body shape) as one invalid_input problem
    that lists every problem with where it is."""
    problems = [_one(e) for e in error.errors()][:20]
    first = problems[0] if problems else "request: not valid"
    where, _, message = first.partition(": ")
    body = problem_body(
        "invalid_input",
        422,
        message or first,
        request.url.path,
        where=where,
        problems=problems,
        request_id=_request_id(request),
    )
    return problem_response(body)


def _one(e: Any) -> str:
    where = ".".join(str(p) for p in e.get("loc", ())) or "request"
    return f"{where}: {str(e.get('msg', 'not valid'))[:200]}"


def from_http(request: Request, error: HTTPException) -> Response:
    code = _HTTP_CODES.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else "request refused"
    body = problem_body(
        code, error.status_code, detail, request.url.path, request_id=_request_id(request)
    )
    return problem_response(body, dict(error.headers or {}))


def from_disconnect(request: Request, error: Exception) -> Response:
    """The client went away before sending its whole body (a load generator stopping, a
    closed tab): nobody reads an answer, and it is not a server error to log."""
    return Response(status_code=499)


def from_unexpected(request: Request, error: Exception) -> Response:
    """A bug: logged with its traceback, answered without one."""
    _LOG.exception("unhandled error on %s %s", request.method, request.url.path)
    body = problem_body(
        "internal_error",
        500,
        "the server failed to handle this request; it was logged",
        request.url.path,
        request_id=_request_id(request),
    )
    return problem_response(body)
