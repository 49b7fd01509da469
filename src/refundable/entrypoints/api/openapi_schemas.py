"""The request and decision JSON Schemas (``policy.vocabulary``) inside the OpenAPI document.

Those schemas keep their sub-schemas under ``$defs`` with ``#/$defs/...`` references, which
would resolve against the OpenAPI document's root. They are hoisted into
``components/schemas`` and their references rewritten, so the document stays self-contained
and one definition serves the CLI's ``schema`` command and the API alike.
"""

from __future__ import annotations

import copy
from typing import Any

COMPONENTS = "#/components/schemas/"


def hoist(schema: dict[str, Any], name: str, into: dict[str, Any]) -> dict[str, Any]:
    """Put ``schema`` (and its ``$defs``) into ``into`` under ``name``; return a $ref to it."""
    body = copy.deepcopy(schema)
    for key in ("$schema", "$id"):
        body.pop(key, None)
    defs = body.pop("$defs", {})
    for def_name, sub in defs.items():
        into.setdefault(def_name, _rewrite(sub))
    into[name] = _rewrite(body)
    return {"$ref": COMPONENTS + name}


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = COMPONENTS + ref.removeprefix("#/$defs/")
        return out
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


def request_for_tenant(schema: dict[str, Any]) -> dict[str, Any]:
    """A request as the API takes it: ``policy`` may be left out (the tenant's is used)."""
    body = copy.deepcopy(schema)
    body["required"] = [f for f in body.get("required", []) if f != "policy"]
    return body
