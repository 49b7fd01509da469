"""Turning request text (JSON or YAML) into a Request, or one clear error listing every
problem: which field, what is wrong, what is allowed. Nothing is decided from a half-valid
request."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from refundable.core.errors import InputError
from refundable.policy.facts import Request


def parse_request(data: Any, *, policy: str | None = None) -> Request:
    """Validate already-parsed data (a mapping). ``policy`` fills in a missing policy id."""
    if not isinstance(data, dict):
        raise InputError(
            "a request must be a mapping of fields",
            where="request",
            allowed="see docs/policy-language.md (request vocabulary)",
        )
    if policy is not None and "policy" not in data:
        data = {**data, "policy": policy}
    try:
        return Request.model_validate(data)
    except ValidationError as error:
        raise _input_error(error) from None


def parse_request_json(text: str | bytes) -> Request:
    """The fast path for API bodies: pydantic parses the JSON text directly."""
    try:
        return Request.model_validate_json(text)
    except ValidationError as error:
        raise _input_error(error) from None


def parse_request_text(text: str, *, policy: str | None = None) -> Request:
    """JSON or YAML text (YAML is a superset of JSON for our purposes)."""
    stripped = text.lstrip()
    if stripped.startswith("{") and policy is None:
        try:
            json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InputError(f"invalid JSON: {error.msg}", where=f"line {error.lineno}") from None
        return parse_request_json(stripped)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f"line {mark.line + 1}" if mark is not None else "request"
        raise InputError(f"invalid YAML: {problem}", where=where) from None
    return parse_request(data, policy=policy)


def _input_error(error: ValidationError) -> InputError:
    problems = []
    # An unknown field comes first: a typo ("reson") also makes the real field missing, and
    # the typo is what the person has to fix.
    errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    for e in errors:
        where = ".".join(str(p) for p in e["loc"]) or "request"
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif e["type"] == "missing":
            message = "required field is missing"
        elif e["type"] == "enum":
            message = f"{e.get('input')!r} is not allowed; expected {e['ctx']['expected']}"
        problems.append(f"{where}: {message}")
    first = problems[0]
    where, _, message = first.partition(": ")
    return InputError(message, where=where, details={"problems": problems})
