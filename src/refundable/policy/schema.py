"""The JSON Schema of policy documents, for editors that complete and check policy files.

The document models give the shape of every section; a condition is free-form in the models
(``dict[str, Any]``, checked by the condition compiler), so its schema is written here from the
fact table: every fact path with the values it accepts, the comparison operators, ``within``
and ``exceeds`` windows over the instants of a request, and ``all``/``any``/``not``. An editor
then completes ``when:`` keys and flags ``reason: duplicate`` before the loader runs. Every
property carries a description (a test keeps it so), and the shipped
``policies/policy.schema.json`` equals what this module generates.
"""

from __future__ import annotations

from typing import Any

from refundable.core import limits
from refundable.policy.document import Formula, PolicyDocument
from refundable.policy.factpaths import FACTS, Fact

SCHEMA_ID = "https://refundable.dev/schema/policy.schema.json"
_REF = "#/$defs/"
_OPERATORS = {
    "eq": "equals the value",
    "ne": "differs from the value",
    "gt": "is more than the value",
    "gte": "is at least the value",
    "lt": "is less than the value",
    "lte": "is at most the value",
}

FORMULAS = {
    Formula.none: "nothing",
    Formula.full: "the charge amount",
    Formula.difference: "charge.amount - charge.correct_amount (the overcharge)",
    Formula.pro_rata_unused: "the charge x time from as_of to the period end / period length",
    Formula.pro_rata_elapsed: "the charge x the part of from..to inside the period / its length",
    Formula.pro_rata_plan_difference: "(from_price - to_price) x the rest of the period",
    Formula.percent_kept: "the charge x (100 - percent) / 100: the business keeps percent",
    Formula.unused_share: "the charge x (1 - usage.consumed_fraction)",
    Formula.wallet_excess: "account.wallet_balance - account.amount_due",
    Formula.failed_value: "failed_delivery.value, the money value of failed messages",
    Formula.fixed: "the amount given in fixed",
}


def policy_schema() -> dict[str, Any]:
    """The whole schema: the models' schema plus conditions, windows and formula notes."""
    body = PolicyDocument.model_json_schema(by_alias=True)
    body["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    body["$id"] = SCHEMA_ID
    _link_conditions(body)
    defs = body["$defs"]
    defs["Condition"] = condition_schema()
    defs["Within"] = _window("within", ("days", "hours", "business_days"), ("of", "at"))
    defs["Exceeds"] = _window("exceeds", ("days", "hours"), ("from", "to"))
    formula = defs["Formula"]
    formula["description"] = "How the gross refund is computed, before fees and rounding"
    formula["enumDescriptions"] = [FORMULAS[Formula(v)] for v in formula["enum"]]
    return body


def _link_conditions(node: Any) -> None:
    """Point every field typed Condition (marked x-condition in document.py, since pydantic
    only knows references it generated itself) at the Condition definition."""
    if isinstance(node, dict):
        if node.pop("x-condition", False):
            node["$ref"] = _REF + "Condition"
        for value in node.values():
            _link_conditions(value)
    elif isinstance(node, list):
        for value in node:
            _link_conditions(value)


def condition_schema() -> dict[str, Any]:
    """A condition mapping: every key must hold."""
    properties: dict[str, Any] = {
        "all": _conditions("every condition of the list holds"),
        "any": _conditions("at least one condition of the list holds"),
        "not": {"$ref": _REF + "Condition", "description": "the condition does not hold"},
        "within": {"$ref": _REF + "Within", "description": "an instant is within a time"},
        "exceeds": {"$ref": _REF + "Exceeds", "description": "a duration is longer than"},
    }
    for path, fact in sorted(FACTS.items()):
        properties[path] = _fact(fact)
    return {
        "type": "object",
        "description": "A condition: every key must hold. Keys are request facts, within, "
        "exceeds, all, any and not (docs/policy-language.md).",
        "minProperties": 1,
        "properties": properties,
        "additionalProperties": False,
    }


def _conditions(description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 1,
        "items": {"$ref": _REF + "Condition"},
        "description": description,
    }


def _value(fact: Fact) -> dict[str, Any]:
    if fact.choices is not None:
        return {"enum": sorted(fact.choices)}
    kinds: dict[str, dict[str, Any]] = {
        "bool": {"type": "boolean"},
        "int": {"type": "integer"},
        "amount": {"type": ["string", "number"], "pattern": r"^-?\d+(\.\d+)?$"},
    }
    return kinds.get(fact.kind, {"type": "string"})


def _fact(fact: Fact) -> dict[str, Any]:
    value = _value(fact)
    compared = value
    if fact.kind == "amount":  # an amount may be compared with money in a named currency
        compared = {"anyOf": [value, {"$ref": _REF + "Minimum"}]}
    operators: dict[str, Any] = {
        op: {**compared, "description": f"{fact.path} {text}"} for op, text in _OPERATORS.items()
    }
    many = {"type": "array", "minItems": 1, "items": value}
    operators["in"] = {**many, "description": f"{fact.path} is one of the values"}
    operators["not_in"] = {**many, "description": f"{fact.path} is none of the values"}
    operators["present"] = {"type": "boolean", "description": f"{fact.path} is given (or not)"}
    operators["contains"] = {"type": "string", "description": f"the list {fact.path} has it"}
    return {
        "description": f"request fact {fact.path} ({fact.kind}): a value, a list of values "
        "(one of them), or one operator",
        "anyOf": [
            value,
            many,
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": operators,
                "additionalProperties": False,
            },
        ],
    }


def _window(kind: str, units: tuple[str, ...], ends: tuple[str, ...]) -> dict[str, Any]:
    instants = sorted(p for p, f in FACTS.items() if f.kind == "instant")
    bounds = {
        "days": limits.MAX_CALENDAR_DAYS,
        "hours": limits.MAX_HOURS,
        "business_days": limits.MAX_BUSINESS_DAYS,
    }
    properties: dict[str, Any] = {
        unit: {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": bounds[unit]},
                {"$ref": _REF + "Param"},
            ],
            "description": f"the length in {unit.replace('_', ' ')} (or {{param: name}})",
        }
        for unit in units
    }
    first, second = ends
    properties[first] = {"enum": instants, "description": "the instant it counts from"}
    properties[second] = {
        "enum": instants,
        "description": "the instant it counts to"
        + (" (default requested_at)" if second == "at" else ""),
    }
    return {
        "type": "object",
        "description": f"{kind}: exactly one length and the instants it is measured between",
        "properties": properties,
        "required": [first] if kind == "within" else [first, second],
        "oneOf": [{"required": [unit]} for unit in units],
        "additionalProperties": False,
    }
