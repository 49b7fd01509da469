"""Small inline policies and requests for the decision-side tests.

Policies are built as Python data and dumped to YAML, so each test states only the rules it
is about; the shipped policy files are never used here.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import yaml

from refundable.policy.compiled import CompiledPolicy
from refundable.policy.facts import Request
from refundable.policy.loader import load_policy_text
from refundable.policy.requests import parse_request

CLAUSES = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


def policy_doc(rules: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    """A valid policy document (as data) with the given rules; ``top`` replaces sections."""
    doc: dict[str, Any] = {
        "policy": "acme",
        "name": "Acme",
        "version": "2026-01-01",
        "effective_from": date(2026, 1, 1),
        "source": "Acme test policy",
        "timezone": "Africa/Johannesburg",
        "currency": "ZAR",
        "calendar": {"country": "ZA", "business_hours": {"opens": "09:00", "closes": "17:00"}},
        "clauses": [
            {"id": c, "title": f"Clause {c}", "informational": "test clause"} for c in CLAUSES
        ],
        "rules": copy.deepcopy(rules),
        "default": {"clause": "1", "outcome": "deny", "explanation": "No rule covers this."},
    }
    doc.update(copy.deepcopy(top))
    return doc


def compile_doc(doc: dict[str, Any], file: str = "acme.yaml") -> CompiledPolicy:
    return load_policy_text(yaml.safe_dump(doc, sort_keys=False), file)


def compile_rules(rules: list[dict[str, Any]], **top: Any) -> CompiledPolicy:
    return compile_doc(policy_doc(rules, **top))


def rule(
    rule_id: str,
    clause: str,
    when: dict[str, Any],
    then: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": rule_id,
        "clause": clause,
        "description": f"Rule {rule_id}.",
        # `when: {}` is refused (it would match everything): "any request" is written out
        "when": when or {"requested_at": {"present": True}},
        "then": then,
        **extra,
    }


def refund(formula: str | None = "full", **amount: Any) -> dict[str, Any]:
    """An approving money-refund ``then`` (``formula=None``: an approval without money, since
    an approving refund without an amount is refused)."""
    if formula is None:
        return {"outcome": "approve", "remedy": "none"}
    return {"outcome": "approve", "remedy": "refund", "amount": {"formula": formula, **amount}}


def charge(amount: str = "300.00", **fields: Any) -> dict[str, Any]:
    return {
        "kind": "subscription",
        "amount": amount,
        "currency": "ZAR",
        "charged_at": "2026-03-01T00:00:00+02:00",
        **fields,
    }


MARCH = {"start": "2026-03-01T00:00:00+02:00", "end": "2026-03-31T00:00:00+02:00"}  # 30 days


def request(**fields: Any) -> Request:
    data: dict[str, Any] = {
        "policy": "acme",
        "requested_at": "2026-03-02T10:00:00+02:00",
        "reason": "duplicate_charge",
    }
    data.update(fields)
    return parse_request(data)
