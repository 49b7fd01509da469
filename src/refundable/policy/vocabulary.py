"""The request and decision vocabularies as published contracts: JSON Schemas and a reference
page (docs/request-vocabulary.md) generated from the same definitions.

Callers outside the project (an HTTP client, a spreadsheet export, a support tool) need to know
every field they may send and every field they get back, and which policies care about each.
So the request schema comes from the request models themselves, the decision schema is checked
against real decisions by a test, "read by" comes from the compiled policies' fact paths
(:func:`refundable.policy.factpaths.policy_reads`), and the page is regenerated, never edited
(a test compares it with this module's output).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from refundable.policy.decision import TraceStatus
from refundable.policy.factpaths import DERIVED_FROM, FACTS, policy_reads
from refundable.policy.facts import Request

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
DOC_PATH = "docs/request-vocabulary.md"


def request_schema() -> dict[str, Any]:
    """JSON Schema of a refund request (what `refundable decide` and the API accept)."""
    body = Request.model_json_schema(mode="validation")
    body["$schema"] = SCHEMA_DRAFT
    body["$id"] = "https://refundable.dev/schema/request.schema.json"
    body["title"] = "Refund request"
    fx = body["properties"]["fx"]
    fx["propertyNames"] = {"pattern": "^[A-Z]{3}/[A-Z]{3}$"}
    return body


def _s(kind: str | list[str], description: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **more}


_DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_DEADLINE_BASIS = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["clause", "promise"],
    "properties": {"clause": {"type": "string"}, "promise": {"type": "string"}},
}
_DECISION_FIELDS: dict[str, dict[str, Any]] = {
    "policy": _s("string", "Id of the policy the request was decided under."),
    "policy_version": _s("string", "The version of that policy in force at requested_at."),
    "outcome": {"enum": ["approve", "deny", "review"], "description": "The answer."},
    "remedy": {
        "enum": [
            "refund",
            "account_credit",
            "message_credits",
            "wallet_credit",
            "service_extension",
            "none",
        ],
        "description": "What the customer gets.",
    },
    "rule": _s(["string", "null"], "Id of the rule that decided; null for the default."),
    "clauses": _s("array", "Clauses of the policy cited.", items={"type": "string"}),
    "currency": _s("string", "ISO-4217 code of every amount in the decision."),
    "gross": {**_DECIMAL, "description": "Amount before fees, rounded once."},
    "fees": _s(
        "array",
        "Fees kept, each with its clause and how it was computed.",
        items={
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "clause", "description", "amount", "basis"],
            "properties": {
                "id": {"type": "string"},
                "clause": {"type": "string"},
                "description": {"type": "string"},
                "amount": _DECIMAL,
                "basis": {"type": "string"},
            },
        },
    ),
    "net": {**_DECIMAL, "description": "What the customer receives: gross less fees."},
    "amount_basis": _s("string", "How the gross was computed, in words."),
    "units": _s(["integer", "null"], "Message credits given back, for credit remedies."),
    "deadlines": _s(
        "object",
        "When the business must decide and pay (instants with offset), and the promises.",
        additionalProperties=False,
        required=["decide_by", "pay_by", "basis"],
        properties={
            "decide_by": {"type": ["string", "null"], "format": "date-time"},
            "pay_by": {"type": ["string", "null"], "format": "date-time"},
            "basis": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"decide_by": _DEADLINE_BASIS, "pay_by": _DEADLINE_BASIS},
            },
        },
    ),
    "explanation": _s("string", "The sentence an agent reads to the customer."),
    "factors": _s("array", "What the business weighs (review outcomes).", items={"type": "string"}),
    "alternatives": _s(
        "array", "Other remedies the customer may choose.", items={"type": "string"}
    ),
    "notes": _s("array", "Conditions attached to the outcome.", items={"type": "string"}),
    "required_information": _s(
        "array", "What a request must include under this policy.", items={"type": "string"}
    ),
    "information_needed": _s(
        "array",
        "Facts the request lacks that the rule needs (a review that asks for them).",
        items={
            "type": "object",
            "additionalProperties": False,
            "required": ["item", "ask"],
            "properties": {"item": {"type": "string"}, "ask": {"type": "string"}},
        },
    ),
    "appeal": _s(["string", "null"], "Whether and how the decision can be appealed."),
    "fx": _s(
        "array",
        "Exchange rates used, from the request.",
        items={
            "type": "object",
            "additionalProperties": False,
            "required": ["pair", "rate", "source"],
            "properties": {
                "pair": {"type": "string"},
                "rate": {"type": "string"},
                "source": {"type": "string"},
            },
        },
    ),
    "trace": _s(
        "array",
        "Every rule considered, in order, and why it applied or not.",
        items={
            "type": "object",
            "additionalProperties": False,
            "required": ["rule", "clause", "status", "why", "text"],
            "properties": {
                "rule": {"type": "string"},
                "clause": {"type": "string"},
                "status": {"enum": [s.value for s in TraceStatus]},
                "why": {"type": "string", "description": "The reason, in fact paths."},
                "text": {"type": "string", "description": "The reason, for the customer."},
            },
        },
    ),
}


def decision_schema() -> dict[str, Any]:
    """JSON Schema of a decision as `refundable decide --json` and the API return it."""
    return {
        "$schema": SCHEMA_DRAFT,
        "$id": "https://refundable.dev/schema/decision.schema.json",
        "title": "Refund decision",
        "type": "object",
        "additionalProperties": False,
        "required": sorted(_DECISION_FIELDS),
        "properties": _DECISION_FIELDS,
    }


# --- the reference page -----------------------------------------------------------------------


def request_fields() -> Iterator[tuple[str, str, str]]:
    """(path, type, description) of every request field, nested fields by dotted path."""
    schema = request_schema()
    yield from _walk(schema, schema["$defs"], "")


def _walk(
    node: dict[str, Any], defs: dict[str, Any], prefix: str
) -> Iterator[tuple[str, str, str]]:
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        model = _ref(prop, defs)
        if model is not None and "properties" in model:
            kind = "mapping, optional" if "default" in prop else "mapping"
            yield path, kind, prop.get("description") or model.get("description", "")
            yield from _walk(model, defs, f"{path}.")
            continue
        yield path, _type_text(prop, defs), prop.get("description", "")


def _ref(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    for option in [prop, *prop.get("anyOf", [])]:
        if "$ref" in option:
            found: dict[str, Any] = defs[option["$ref"].rsplit("/", 1)[-1]]
            return found
    return None


def _type_text(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    texts = []
    for o in options:
        model = _ref(o, defs)
        if model is not None and "enum" in model:
            texts.append("one of " + ", ".join(f"`{v}`" for v in model["enum"]))
        elif o.get("format") == "date-time":
            texts.append("instant with offset")
        elif o.get("format") == "date":
            texts.append("date")
        elif o.get("pattern", "").startswith("^-?[0-9]+"):
            texts.append("decimal string")
        elif o.get("type") == "array":
            texts.append("list of text")
        elif o.get("type") == "object":
            texts.append('mapping of "BASE/QUOTE" to decimal string')
        else:
            texts.append(str(o.get("type", "text")).replace("string", "text"))
    optional = "" if prop.get("default", ...) is ... and "null" not in str(prop) else ", optional"
    return " or ".join(texts) + optional


def readers(path: str, policies: Iterable[Any]) -> list[str]:
    """Ids of the policies whose rules, formulas or process read ``path``."""
    prefix = f"{path}."
    return sorted(
        {
            p.id
            for p in policies
            if any(r == path or r.startswith(prefix) for r in policy_reads(p.document))
        }
    )


def vocabulary_markdown(policies: list[Any]) -> str:
    """The reference page: every request field (type, meaning, policies that read it), the
    derived facts policies may test, and every decision field."""
    ids = ", ".join(sorted({p.id for p in policies}))
    lines = [
        "# Request and decision vocabulary",
        "",
        "<!-- Generated from the request models and the shipped policies: do not edit. -->",
        "<!-- Regenerate: python -m refundable.policy.vocabulary > docs/request-vocabulary.md -->",
        "",
        "A refund request is a JSON or YAML mapping with the fields below; a decision is what",
        "`refundable decide --json` returns. Both are published as JSON Schemas:",
        "`refundable schema request` and `refundable schema decision`.",
        "",
        'Rules for every request: amounts are decimal strings (`"499.00"`, never a float,',
        "`1_000` or `1e3`) with no more decimals than the currency has; instants (`_at`) carry",
        "an offset and fall in the years 1970-2199; a date-valued field also takes a plain date",
        "(`2026-03-31`), read as local midnight in the policy's timezone (ADR 0018); booleans",
        "are `true` or `false`; unknown fields, duplicate keys and control characters are",
        "refused. Limits are in `src/refundable/core/limits.py`.",
        "",
        f'"Read by" lists which of the shipped policies ({ids}) read the',
        "field, taken from their compiled rules, amount formulas and process (a mapping is",
        "read when any of its fields is). `failed_delivery` needs `units` under a policy that",
        "reads units (credits) and `value` under one that reads value (wallets), and nothing",
        "else (ADR 0019).",
        "",
        "## Request fields",
        "",
        *_request_table(policies),
        "",
        "## Derived facts",
        "",
        "Policies may also test these; they are computed from the request, never sent.",
        "",
        *_derived_table(policies),
        "",
        "## Decision fields",
        "",
        *_decision_table(),
    ]
    return "\n".join(lines) + "\n"


def _request_table(policies: list[Any]) -> list[str]:
    lines = ["| field | type | meaning | read by |", "| --- | --- | --- | --- |"]
    for path, kind, description in request_fields():
        who = ", ".join(readers(path, policies)) or "none of the shipped policies"
        lines.append(f"| `{path}` | {kind} | {_cell(description)} | {who} |")
    return lines


def _derived_table(policies: list[Any]) -> list[str]:
    lines = ["| fact | computed from | read by |", "| --- | --- | --- |"]
    for path, sources in DERIVED_FROM.items():
        who = ", ".join(readers(path, policies)) or "none of the shipped policies"
        lines.append(f"| `{path}` | {', '.join(f'`{s}`' for s in sources)} | {who} |")
    return lines


def _decision_table() -> list[str]:
    lines = ["| field | type | meaning |", "| --- | --- | --- |"]
    for name, prop in _DECISION_FIELDS.items():
        kind = prop.get("type") or "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        lines.append(f"| `{name}` | {kind} | {_cell(prop['description'])} |")
    return lines


def shipped_policies() -> list[Any]:
    """The latest version of each shipped policy (the page describes what ships)."""
    from refundable.config import shipped_policies_dir
    from refundable.policy.registry import PolicyRegistry

    registry = PolicyRegistry.load(shipped_policies_dir())
    return [registry.latest(i) for i in registry.ids]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fact_paths_documented(markdown: str) -> set[str]:
    """The backticked paths in the first column of the page's tables."""
    found = set()
    for line in markdown.splitlines():
        if line.startswith("| `"):
            found.add(line.split("`")[1])
    return found


def undocumented_facts(markdown: str) -> set[str]:
    """Fact paths policies may test that the page does not list (must be empty)."""
    return set(FACTS) - fact_paths_documented(markdown)


if __name__ == "__main__":  # pragma: no cover - the regeneration command in the page header
    print(vocabulary_markdown(shipped_policies()), end="")
