"""Every fact a policy may test, by dotted path, with a fast getter.

The table is derived from the request models (so a field added to the vocabulary is
immediately usable in policies) plus a few derived facts that policies need and requests do not
carry: when an incident ended (resolved, or still open at the time of the request), how long it
lasted, the overcharge, and the instant of the decision.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from refundable.policy.facts import Request

Getter = Callable[[Request], Any]


@dataclass(frozen=True, slots=True)
class Fact:
    path: str
    kind: str  # enum | instant | amount | bool | int | str | list
    get: Getter
    choices: frozenset[str] | None = None


def _plain_getter(parts: tuple[str, ...]) -> Getter:
    """A getter for a dotted path that yields None where a parent is absent. Requests store
    enum fields as their string values (use_enum_values), so literals compare directly."""
    if len(parts) == 1:
        (a,) = parts
        return lambda r: getattr(r, a)
    if len(parts) == 2:
        a, b = parts

        def two(r: Request) -> Any:
            x = getattr(r, a)
            return None if x is None else getattr(x, b)

        return two

    def many(r: Request) -> Any:
        v: Any = r
        for p in parts:
            if v is None:
                return None
            v = getattr(v, p)
        return v

    return many


def _unwrap(annotation: Any) -> Any:
    """The plain type behind Optional[...] and Annotated[...] (in any nesting)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation


def _kind(annotation: Any) -> tuple[str, frozenset[str] | None]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "enum", frozenset(str(m.value) for m in annotation)
    if annotation is datetime:
        return "instant", None
    if annotation is Decimal:
        return "amount", None
    if annotation is bool:
        return "bool", None
    if annotation is int:
        return "int", None
    if typing.get_origin(annotation) in (tuple, list):
        return "list", None
    return "str", None


def _walk(model: type[BaseModel], prefix: tuple[str, ...], out: dict[str, Fact]) -> None:
    for name, field in model.model_fields.items():
        annotation = _unwrap(field.annotation)
        parts = (*prefix, name)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _walk(annotation, parts, out)
            continue
        kind, choices = _kind(annotation)
        path = ".".join(parts)
        out[path] = Fact(path, kind, _plain_getter(parts), choices)


def _incident_ended_at(r: Request) -> datetime | None:
    if r.incident is None:
        return None
    return r.incident.resolved_at or r.requested_at


def _incident_hours(r: Request) -> Decimal | None:
    end = _incident_ended_at(r)
    if end is None or r.incident is None:
        return None
    seconds = (end - r.incident.started_at).total_seconds()
    return Decimal(int(seconds)) / Decimal(3600)


def _overcharge(r: Request) -> Decimal | None:
    c = r.charge
    if c is None or c.correct_amount is None:
        return None
    return c.amount - c.correct_amount


def _build() -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    _walk(Request, (), facts)
    del facts["fx"]
    facts["incident.ended_at"] = Fact("incident.ended_at", "instant", _incident_ended_at)
    facts["incident.hours"] = Fact("incident.hours", "amount", _incident_hours)
    facts["charge.overcharge"] = Fact("charge.overcharge", "amount", _overcharge)
    facts["decided_at"] = Fact("decided_at", "instant", lambda r: r.decided_at or r.requested_at)
    return facts


FACTS: dict[str, Fact] = _build()


# --- which facts a policy reads ---------------------------------------------------------------

# Facts every decision reads, whatever the rules say: which policy and version, the reason that
# selects the rules, the instants deadlines run from, the currencies and the supplied rates.
ALWAYS_READ: frozenset[str] = frozenset(
    {"policy", "requested_at", "reason", "decided_at", "fx", "charge.currency", "account.currency"}
)

_CHARGE = ("charge.amount", "charge.currency")
_PERIOD = ("charge.period.start", "charge.period.end")

# What each amount formula reads besides the instants a rule names (policy/amounts.py).
FORMULA_READS: dict[str, tuple[str, ...]] = {
    "none": _CHARGE,
    "full": _CHARGE,
    "fixed": _CHARGE,
    "percent_kept": _CHARGE,
    "difference": (*_CHARGE, "charge.correct_amount"),
    "unused_share": (*_CHARGE, "usage.consumed_fraction"),
    "pro_rata_unused": (*_CHARGE, *_PERIOD),
    "pro_rata_elapsed": (*_CHARGE, *_PERIOD),
    "pro_rata_plan_difference": (
        *_CHARGE,
        *_PERIOD,
        "plan_change.effective_at",
        "plan_change.from_price",
        "plan_change.to_price",
    ),
    "wallet_excess": ("account.wallet_balance", "account.amount_due", "account.currency"),
    "failed_value": ("failed_delivery.value", "charge.currency", "account.currency"),
}

# Derived facts read the request fields they are computed from.
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "incident.ended_at": ("incident.resolved_at", "requested_at"),
    "incident.hours": ("incident.started_at", "incident.resolved_at", "requested_at"),
    "charge.overcharge": ("charge.amount", "charge.correct_amount"),
}

_READS: dict[int, tuple[Any, frozenset[str]]] = {}


def policy_reads(document: Any) -> frozenset[str]:
    """Every fact path a policy document reads: in conditions and requirements (keys and the
    instants of ``within``/``exceeds``), units, amount formulas, the request window, payout by
    payment method, and ALWAYS_READ. Cached per document (documents are immutable)."""
    cached = _READS.get(id(document))
    if cached is not None and cached[0] is document:
        return cached[1]
    found: set[str] = set(ALWAYS_READ)
    for rule in document.rules:
        _mentions(rule.when, found)
        for req in rule.requires:
            _mentions(req.condition, found)
        then = rule.then
        if then.units is not None:
            found.add(then.units.fact)
        if then.amount is not None:
            amount = then.amount
            found.update(FORMULA_READS[amount.formula.value])
            if amount.formula.value.startswith("pro_rata"):
                found.update(p for p in (amount.as_of, amount.start, amount.end) if p)
    process = document.process
    if process.request_window is not None:
        found.add(process.request_window.of)
        found.add("requested_at")
    if process.payout_by_method:
        found.add("charge.payment_method")
    for path in list(found):
        found.update(DERIVED_FROM.get(path, ()))
    result = frozenset(p for p in found if p in FACTS or p == "fx")
    _READS[id(document)] = (document, result)
    return result


def policy_asks(document: Any) -> frozenset[str]:
    """Fact paths a policy's rules name in ``requires``: when one is missing, the engine asks
    for it in a review (information_needed) instead of the parser refusing the request."""
    found: set[str] = set()
    for rule in document.rules:
        for req in rule.requires:
            _mentions(req.condition, found)
    return frozenset(found)


def _mentions(node: Any, found: set[str], depth: int = 0) -> None:
    """Fact paths named in a condition: as keys, or as values (``of``, ``at``, ``from``,
    ``to``); a time condition without ``at`` runs to requested_at."""
    if depth > 64:  # conditions are depth-checked by the loader; this is a backstop
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in FACTS:
                found.add(key)
            if key == "within" and isinstance(value, dict) and "at" not in value:
                found.add("requested_at")
            _mentions(value, found, depth + 1)
    elif isinstance(node, list | tuple):
        for item in node:
            _mentions(item, found, depth + 1)
    elif isinstance(node, str) and node in FACTS:
        found.add(node)
