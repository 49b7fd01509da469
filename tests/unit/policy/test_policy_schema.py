"""The policy JSON Schema that editors use: every property described, conditions checked, the
shipped file current, and the shipped policies valid against it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from refundable.config import shipped_policies_dir
from refundable.policy.registry import policy_files
from refundable.policy.schema import policy_schema
from refundable.policy.yamlsource import read_yaml

SCHEMA = policy_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
POLICIES = policy_files(shipped_policies_dir())


def _undescribed(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if not prop.get("description"):
                found.append(f"{path}/properties/{name}")
        for key, value in node.items():
            found += _undescribed(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _undescribed(value, f"{path}/{i}")
    return found


def test_every_property_in_the_schema_has_a_description():
    assert _undescribed(SCHEMA) == []
    assert len(SCHEMA["$defs"]["Condition"]["properties"]) > 40  # the facts are listed


def test_the_shipped_schema_is_the_generated_one():
    shipped = json.loads((shipped_policies_dir() / "policy.schema.json").read_text("utf-8"))
    assert shipped == SCHEMA, "regenerate with: refundable policy schema"


def test_the_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", POLICIES, ids=[p.name for p in POLICIES])
def test_every_shipped_policy_is_valid_against_the_schema(path):
    data, problems = read_yaml(path)
    assert problems == []
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []


def _with_when(when: Any) -> list[str]:
    data, _ = read_yaml(POLICIES[0])
    doc = copy.deepcopy(dict(data))
    doc["rules"] = [dict(doc["rules"][0], when=when)]
    return [e.message for e in VALIDATOR.iter_errors(doc)]


def test_editors_see_a_wrong_enum_value_in_a_condition():
    assert _with_when({"reason": "duplicate_charge"}) == []
    assert _with_when({"reason": "duplicate"}) != []


def test_editors_see_an_unknown_condition_key_and_a_window_without_of():
    assert any("charge.knd" in m for m in _with_when({"charge.knd": "subscription"}))
    assert _with_when({"within": {"days": 30}}) == ["'of' is a required property"]
    assert _with_when({"within": {"days": 30, "of": "charge.charged_at"}}) == []
    assert _with_when({"within": {"of": "charge.charged_at"}}) != []  # no length
    assert _with_when({"within": {"days": 3, "hours": 3, "of": "charge.charged_at"}}) != []


def test_editors_see_nested_conditions_and_operators():
    good = {"any": [{"charge.amount": {"gt": "100.00"}}, {"not": {"evidence": {"contains": "x"}}}]}
    assert _with_when(good) == []
    assert _with_when({"all": []}) != []
    assert _with_when({"charge.amount": {"gt": "100.00", "lt": "5"}}) != []


def test_formulas_are_described_one_by_one():
    formula = SCHEMA["$defs"]["Formula"]
    assert len(formula["enumDescriptions"]) == len(formula["enum"])
    assert formula["enumDescriptions"][formula["enum"].index("percent_kept")].startswith(
        "the charge x (100 - percent)"
    )
