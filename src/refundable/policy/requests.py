"""Turning request text (JSON or YAML) into a Request, or one clear error listing every
problem: which field, what is wrong, what is allowed. Nothing is decided from a half-valid
request.

Text passes the gates of :mod:`refundable.core.textinput` first (size, UTF-8, depth, aliases,
duplicate keys, numbers that fit), then the vocabulary's own checks (:mod:`facts`). Plain dates
in date-valued fields need the policy's timezone: callers that know their policies pass
``zone`` (a ZoneInfo, or a lookup from policy id to zone), and it is asked only when a plain
date is actually present (ADR 0018).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from refundable.core.errors import InputError, OutOfRange, PolicyMismatch
from refundable.core.limits import echo
from refundable.core.textinput import check_text, load_document, load_json, plain
from refundable.policy.factpaths import policy_asks, policy_reads
from refundable.policy.facts import FieldProblem, Request

if TYPE_CHECKING:
    from refundable.policy.compiled import CompiledPolicy

ZoneLookup = Callable[[str], ZoneInfo | None]
Zone = ZoneInfo | ZoneLookup | None

# Problems listed in one error's details: enough to fix a file, bounded for hostile input.
MAX_PROBLEMS = 20


def parse_request(data: Any, *, policy: str | None = None, zone: Zone = None) -> Request:
    """Validate already-parsed data (a mapping).

    ``policy`` is the policy the caller decides under: it fills in a missing ``policy:``, and a
    request that names another policy is refused (never silently overridden)."""
    if not isinstance(data, dict):
        raise InputError(
            "a request must be a mapping of fields",
            where="request",
            allowed="a mapping with policy, requested_at, reason, ... (docs/request-vocabulary.md)",
        )
    named = data.get("policy")
    if policy is not None and named is not None and named != policy:
        raise PolicyMismatch(
            f"the request names policy {echo(named)} but is being decided under {policy!r}",
            where="policy",
            allowed=f"{policy!r}, or leave policy out of the request",
        )
    if policy is not None and named is None:
        data = {**data, "policy": policy}
    context = {"zone": _zone_source(zone, data.get("policy"))}
    try:
        return Request.model_validate(data, context=context)
    except ValidationError as error:
        raise _input_error(error) from None


def parse_request_json(
    text: str | bytes, *, policy: str | None = None, zone: Zone = None
) -> Request:
    """API bodies: JSON only, through the same gates (duplicate keys and depth included)."""
    return parse_request(load_json(check_text(text)), policy=policy, zone=zone)


def parse_request_text(
    text: str | bytes, *, policy: str | None = None, zone: Zone = None
) -> Request:
    """JSON or YAML text (or its bytes, e.g. a file as read): every gate, then the vocabulary."""
    return parse_request(load_document(text), policy=policy, zone=zone)


def _zone_source(zone: Zone, policy: Any) -> Callable[[], ZoneInfo | None]:
    """A thunk the date validator calls only when it meets a plain date; asked once."""
    found: list[ZoneInfo | None] = []

    def source() -> ZoneInfo | None:
        if not found:
            if isinstance(zone, ZoneInfo) or zone is None:
                found.append(zone)
            else:
                found.append(zone(policy) if isinstance(policy, str) else None)
        return found[0]

    return source


def require_what_policy_reads(policy: CompiledPolicy, request: Request) -> None:
    """Failed messages are counted (units) by credit policies and valued (value) by wallet
    policies: require the one the policy reads, and nothing it does not read. A fact the
    policy's own ``requires`` names is left to the engine, which asks for it in a review."""
    fd = request.failed_delivery
    if fd is None:
        return
    reads = policy_reads(policy.document) - policy_asks(policy.document)
    for name, what in (("units", "the number of failed messages"), ("value", "their value")):
        path = f"failed_delivery.{name}"
        if getattr(fd, name) is None and path in reads:
            raise InputError(
                f"policy {policy.id} needs {what} ({path}), which the request does not give",
                where=path,
                allowed="a whole number of messages" if name == "units" else 'e.g. "42.50"',
            )


# --- pydantic errors -> one InputError --------------------------------------------------------


def _input_error(error: ValidationError) -> InputError:
    # An unknown field comes first: a typo ("reson") also makes the real field missing, and
    # the typo is what the person has to fix.
    errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    problems = [_problem(e) for e in errors]
    kind, where, message, allowed = problems[0]
    lines = [f"{w}: {m}" for _, w, m, _ in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
    return kind(message, where=where, allowed=allowed, details={"problems": lines})


def _problem(e: Any) -> tuple[type[InputError], str, str, str | None]:
    """(error class, where, message, allowed) for one pydantic error."""
    loc = tuple(e["loc"])
    where = plain(".".join(str(p) for p in loc)) or "request"
    cause = (e.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        if cause.field:
            where = plain(f"{where}.{cause.field}" if loc else cause.field)
        return cause.error, where, cause.message, cause.allowed
    kind = e["type"]
    if kind == "extra_forbidden":
        return InputError, where, "unknown field (check the spelling)", _fields_at(loc[:-1])
    if kind == "missing":
        return InputError, where, "required field is missing", _described(loc)
    if kind == "enum":
        expected = str(e["ctx"]["expected"])
        return (
            InputError,
            where,
            f"{echo(e.get('input'))} is not one of the allowed values",
            expected,
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        got = type(e.get("input")).__name__
        return InputError, where, f"expected a mapping of fields, got {got}", "a mapping"
    if kind == "too_long":
        most = (e.get("ctx") or {}).get("max_length")
        return OutOfRange, where, "too many items", f"at most {most} items"
    if kind in ("tuple_type", "list_type"):
        got = type(e.get("input")).__name__
        return InputError, where, f"expected a list, got {got}", "a list"
    return (
        InputError,
        where,
        str(e["msg"]).removeprefix("Value error, "),
        "see docs/request-vocabulary.md",
    )


def _fields_at(loc: tuple[Any, ...]) -> str | None:
    """The field names the model at ``loc`` accepts (for "unknown field" errors)."""
    model = _model_at(loc)
    return ", ".join(model.model_fields) if model is not None else None


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Request
    for part in loc:
        field = model.model_fields.get(part) if model and isinstance(part, str) else None
        if field is None:
            return None
        model = _model_in(field.annotation)
    return model


def _described(loc: tuple[Any, ...]) -> str:
    """What a missing field holds, from its description in the vocabulary."""
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model is not None and loc else None
    text = field.description if field is not None else None
    return text or "see docs/request-vocabulary.md"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def zones(registry: Any) -> ZoneLookup:
    """The zone lookup for a registry of policies: a policy id -> its latest version's zone
    (an unknown id raises the registry's own NotFound, naming the known policies)."""
    return lambda policy_id: registry.latest(policy_id).calendar.zone
