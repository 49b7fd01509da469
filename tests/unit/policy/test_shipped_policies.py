"""The shipped policies: each compiles, each scenario of its scenario file passes (one test per
scenario), each has at least 15 scenarios, and every clause is implemented or informational."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from refundable.config import shipped_examples_dir, shipped_policies_dir
from refundable.entrypoints.cli import policy_schema
from refundable.policy.coverage import coverage
from refundable.policy.engine import decide
from refundable.policy.loader import load_policy_file
from refundable.policy.registry import SCENARIO_SUFFIX, PolicyRegistry, policy_files
from refundable.policy.requests import parse_request_text
from refundable.policy.scenarios import ScenarioResult, run_file
from refundable.policy.yamlsource import read_yaml

POLICIES = shipped_policies_dir()
EXAMPLES = shipped_examples_dir()
POLICY_FILES = policy_files(POLICIES)
SCENARIO_FILES = sorted(POLICIES.glob(f"*{SCENARIO_SUFFIX}"))
MIN_SCENARIOS = 15


def _scenario_params() -> list[object]:
    """One parameter per scenario (file, index), named after the scenario."""
    params: list[object] = []
    for path in SCENARIO_FILES:
        data, _problems = read_yaml(path)
        items = data.get("scenarios") if isinstance(data, dict) else None
        if not isinstance(items, list):
            params.append(pytest.param(path, -1, id=f"{path.name}::<unreadable file>"))
            continue
        for index, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            params.append(pytest.param(path, index, id=f"{path.name}::{name or index}"))
    return params


@cache
def _registry() -> PolicyRegistry:
    return PolicyRegistry.load(POLICIES)


@cache
def _results(path: Path) -> tuple[ScenarioResult, ...]:
    return tuple(run_file(path, _registry()))


def _scenario_policy(path: Path) -> str | None:
    data, _ = read_yaml(path)
    return data.get("policy") if isinstance(data, dict) else None


def test_there_are_shipped_policies_and_scenarios():
    assert POLICY_FILES
    assert SCENARIO_FILES
    for path in SCENARIO_FILES:
        assert (POLICIES / path.name.replace(SCENARIO_SUFFIX, ".yaml")).exists(), path


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.name)
def test_policy_compiles(path):
    policy = load_policy_file(path)
    assert policy.rules
    assert path.name == f"{policy.id}.yaml" or path.name.startswith(f"{policy.id}-")


@pytest.mark.parametrize(("path", "index"), _scenario_params())
def test_scenario_passes(path, index):
    results = _results(path)
    if index < 0:
        pytest.fail(f"{path}: {results[0].mismatches}")
    result = results[index]
    assert result.mismatches == (), f"{result.file}:{result.line} {result.name}"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.name)
def test_policy_has_enough_scenarios(path):
    policy_id = load_policy_file(path).id
    count = sum(len(_results(s)) for s in SCENARIO_FILES if _scenario_policy(s) == policy_id)
    assert count >= MIN_SCENARIOS, f"{policy_id} has {count} scenarios"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.name)
def test_no_clause_is_uncovered(path):
    policy = load_policy_file(path)
    results = [r for s in SCENARIO_FILES if _scenario_policy(s) == policy.id for r in _results(s)]
    rows = coverage(policy, results)
    assert rows
    uncovered = [f"{r.clause} ({r.title})" for r in rows if r.status == "uncovered"]
    assert uncovered == []


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.name)
def test_every_rule_and_the_default_is_exercised_by_a_scenario(path):
    policy = load_policy_file(path)
    decided = {
        r.decision.rule
        for s in SCENARIO_FILES
        if _scenario_policy(s) == policy.id
        for r in _results(s)
        if r.decision is not None
    }
    assert [rule.id for rule in policy.rules if rule.id not in decided] == []
    assert None in decided, "no scenario reaches the policy's default"


@pytest.mark.parametrize(
    "path",
    sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.json")),
    ids=lambda p: p.name,
)
def test_example_request_is_decided(path):
    request = parse_request_text(path.read_text(encoding="utf-8"))
    policy = _registry().in_force(request.policy, request.requested_at)
    decision = decide(policy, request)
    assert decision.clauses
    assert decision.explanation


def test_shipped_json_schema_is_current():
    shipped = json.loads((POLICIES / "policy.schema.json").read_text(encoding="utf-8"))
    assert shipped == policy_schema(), "regenerate with: refundable policy schema"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_rendered_trace_says_what_each_step_says(path):
    """``to_dict`` writes the rules after the deciding one as a constant: it must be what
    the step's own ``why`` and the policy's narration say of them."""
    request = parse_request_text(path.read_text(encoding="utf-8"))
    decision = decide(_registry().in_force(request.policy, request.requested_at), request)
    rendered = decision.to_dict()["trace"]
    expected = [
        {"rule": s.rule, "clause": s.clause, "status": s.status.value,
         "why": decision.why(s), "text": decision.narrate(s)}
        for s in decision.trace
    ]  # fmt: skip
    assert rendered == expected
