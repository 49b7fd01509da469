"""Errors as RFC 9457 problem details, from the one error tree and its STATUS table.

Every error the API returns has the same shape: ``type`` (a URN naming the stable code),
``title``, ``status``, ``detail`` (the sentence a person can act on), ``instance`` (the path),
plus the extension members ``code`` (the stable code clients branch on), ``where``,
``allowed``, ``problems`` (every problem of the input at once) and ``request_id``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from refundable.core import limits
from refundable.core.errors import IdempotencyConflict, RefundableError, status_of

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
    message, where = error.message, error.where
    allowed = error.allowed
    found = _request_field(request, where)
    if found is not None and isinstance(error, IdempotencyConflict) and found == "body.id":
        # "charge 'c1' was already recorded (by RecordCharge) with other content": the
        # message is the caller's own words; say how a retry is made
        message, where = message.split(" (by ", 1)[0] + " with other content", found
        allowed = (
            "the same body to retry (an omitted `at` is the time of each request: give the "
            "first one's), the same Idempotency-Key header to have the first answer "
            "replayed, or a new id"
        )
    elif found is not None:  # a command refused a field: say which field of the request
        message, where = f"the value of {found} is not accepted", found
    body = problem_body(
        error.code,
        status,
        message,
        request.url.path,
        where=where,
        allowed=allowed,
        problems=[str(p) for p in problems] if problems else None,
        request_id=_request_id(request),
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem_response(body, headers)


_COMMAND_FIELD = re.compile(r"^([A-Z][A-Za-z0-9]*)\.([a-z][a-z0-9_]*)$")


def _request_field(request: Request, where: str | None) -> str | None:
    """A command's own field (``RecordCharge.amount``, how a command names what it refuses)
    as the request's: ``path.<param>`` or ``body.<field>``; None for any other ``where``.
    The command's message is not used: it shows the value as Python writes it."""
    from refundable.service import commands

    match = _COMMAND_FIELD.match(where or "")
    if match is None:
        return None
    kind = getattr(commands, match.group(1), None)
    if not (isinstance(kind, type) and issubclass(kind, commands.Command)):
        return None
    field = match.group(2)
    if field in request.path_params:
        return f"path.{field}"
    names = _body_fields(request)
    for name in (field, field.removesuffix("_id")):
        if name in names:
            return f"body.{name}"
    created = [name for _, name in kind.BUSINESS_KEYS]
    return "body.id" if created[:1] == [field] and "id" in names else "body"


def _body_fields(request: Request) -> set[str]:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for param in getattr(dependant, "body_params", ()):
        model = getattr(param.field_info, "annotation", None)
        return set(getattr(model, "model_fields", {}))
    return set()


def from_validation(request: Request, error: RequestValidationError) -> Response:
    """FastAPI's own checks (query, path, headers, body shape) as one invalid_input problem
    that lists every problem with where it is; the first one's what and allowed in our words
    (an unknown field, a missing body, an amount sent as a number)."""
    found = [_one(request, e) for e in error.errors()][:20]
    where, message, allowed = found[0] if found else ("request", "not valid", None)
    body = problem_body(
        "invalid_input",
        422,
        message,
        request.url.path,
        where=where,
        allowed=allowed,
        problems=[f"{w}: {m}" for w, m, _ in found],
        request_id=_request_id(request),
    )
    return problem_response(body)


def _one(request: Request, e: Any) -> tuple[str, str, str | None]:
    loc = tuple(str(p) for p in e.get("loc", ()))
    where = ".".join(loc) or "request"
    kind = e.get("type")
    message = str(e.get("msg", "not valid"))[:200]
    allowed = None
    if kind == "extra_forbidden":
        message = f"unknown field {loc[-1]!r} (check the spelling)"
        names = sorted(_body_fields(request)) if len(loc) == 2 else []
        allowed = f"the fields {', '.join(names)}" if names else "only the documented fields"
    elif kind == "missing" and loc == ("body",):
        message = "the request has no body"
        allowed = 'a JSON object such as {"id": "c-1"}, sent with Content-Type: application/json'
    elif kind == "missing":
        message = "a value is required"
    elif kind == "string_pattern_mismatch":
        message, allowed = _pattern(e)
    elif kind == "amount_not_string":
        allowed = 'a decimal string such as "120.00"'
    elif kind == "instant_out_of_range":
        allowed = f"an instant from {limits.MIN_YEAR} to {limits.MAX_YEAR}, with its offset"
    return where, message, allowed


_PATTERNS = {
    limits.ID_PATTERN: (
        "an id",
        "1-64 characters: letters, digits, '.', '_', ':', '-' (starting with a letter or digit)",
    ),
    r"^[0-9]+(\.[0-9]+)?$": ("a decimal amount", 'a decimal string such as "120.00"'),
    r"^[A-Z]{3}$": ("a currency code", "an ISO 4217 code in capitals, such as ZAR"),
}


def _pattern(e: Any) -> tuple[str, str | None]:
    """A value that does not match its field's pattern, said without the regular expression."""
    pattern = str((e.get("ctx") or {}).get("pattern", ""))
    what, allowed = _PATTERNS.get(pattern, ("valid here", None))
    shown = limits.echo(e.get("input"))
    return f"{shown} is not {what}", allowed or f"text matching {pattern}"


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
