"""What a policy author asks of a draft before publishing it: is it valid (every problem
with file:line, and the rules another rule always pre-empts), do its scenarios pass, which
clauses do they cover. Pure: a draft's text in, plain results out, nothing stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refundable.core.errors import PolicyInvalid, Problem
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.coverage import ClauseCoverage, coverage
from refundable.policy.lint import lint_policy
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import ScenarioResult, _run_one
from refundable.policy.yamlsource import load_yaml
from refundable.tenants.model import compile_version

DRAFT = "draft.yaml"
SCENARIOS = "draft.scenarios.yaml"


@dataclass(frozen=True, slots=True)
class Checked:
    policy: CompiledPolicy
    warnings: list[dict[str, Any]]


def check(text: str) -> Checked:
    """The draft compiled, or ``PolicyInvalid`` with every problem; plus lint warnings."""
    policy = compile_version(text, DRAFT)
    return Checked(policy, [w.to_dict() for w in lint_policy(policy, DRAFT)])


def run_scenarios(policy: CompiledPolicy, text: str) -> list[ScenarioResult]:
    """Every scenario of ``text`` against ``policy`` alone (a broken file is a problem)."""
    data, problems = load_yaml(text, SCENARIOS)
    if problems:
        raise PolicyInvalid(problems)
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise PolicyInvalid([Problem(SCENARIOS, 1, "needs `policy:` and a `scenarios:` list")])
    registry = PolicyRegistry.from_policies([policy])
    return [_run_one(SCENARIOS, item, policy.id, registry) for item in data["scenarios"]]


def clause_coverage(policy: CompiledPolicy, results: list[ScenarioResult]) -> list[ClauseCoverage]:
    return coverage(policy, results)
