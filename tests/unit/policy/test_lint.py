"""Shadowed rules: a later rule whose situation an earlier rule always matches first is
reported with both rules' lines; rules that can still apply are never reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from refundable.entrypoints.cli import app
from refundable.policy.document import PolicyDocument
from refundable.policy.lint import (
    Contradictory,
    Shadowed,
    lint_policy,
    shadowed_rules,
    unreachable_rules,
)
from refundable.policy.loader import load_policy_file

from .support import policy_doc, refund, rule

SHIPPED = Path(__file__).parents[3] / "src" / "refundable" / "policies"
DENY = {"outcome": "deny"}


def shadows(*whens: dict[str, Any]) -> list[tuple[str, str]]:
    """(shadowed rule, by rule) for rules r0, r1, ... with the given conditions, in order."""
    # The rule helper writes `when: {}` out as "any request"; keep each condition as given.
    rules = [{**rule(f"r{i}", "2", when, DENY), "when": when} for i, when in enumerate(whens)]
    doc = PolicyDocument.model_validate(policy_doc(rules))
    lines = [10 * (i + 1) for i in range(len(whens))]
    return [(w.rule, w.shadowed_by) for w in shadowed_rules(doc, lines, "p.yaml")]


# --- true positives -----------------------------------------------------------------------------


def test_an_empty_situation_first_shadows_every_later_rule():
    assert shadows({}, {"reason": "duplicate_charge"}, {"charge.kind": "hosting"}) == [
        ("r1", "r0"),
        ("r2", "r0"),
    ]


def test_any_request_written_out_shadows_every_later_rule():
    anything = {"requested_at": {"present": True}}
    assert shadows(anything, {"reason": "duplicate_charge"}) == [("r1", "r0")]
    assert shadows({"reason": "cooling_off"}, anything) == []


def test_identical_conditions_shadow_the_second_rule():
    when = {"reason": "billing_error", "within": {"days": 30, "of": "charge.charged_at"}}
    assert shadows(when, dict(when)) == [("r1", "r0")]


def test_a_later_rule_with_more_conditions_is_shadowed_by_a_subset():
    earlier = {"reason": "duplicate_charge"}
    later = {"reason": "duplicate_charge", "charge.kind": "subscription"}
    assert shadows(earlier, later) == [("r1", "r0")]


def test_a_value_inside_an_earlier_list_of_values_is_shadowed():
    assert shadows({"reason": ["cancellation", "cooling_off"]}, {"reason": "cooling_off"}) == [
        ("r1", "r0")
    ]
    assert shadows(
        {"reason": {"in": ["cancellation", "cooling_off", "change_of_mind"]}},
        {"reason": {"in": ["cooling_off", "cancellation"]}},
    ) == [("r1", "r0")]


def test_a_tighter_bound_is_shadowed_by_a_looser_one():
    assert shadows({"charge.amount": {"gt": "100"}}, {"charge.amount": {"gte": "500.00"}}) == [
        ("r1", "r0")
    ]
    assert shadows({"charge.amount": {"lte": 100}}, {"charge.amount": {"eq": "99.99"}}) == [
        ("r1", "r0")
    ]


def test_an_earlier_any_matched_by_one_of_its_alternatives():
    earlier = {"any": [{"reason": "cooling_off"}, {"reason": "cancellation", "written": True}]}
    later = {"reason": "cooling_off", "usage.consumed_fraction": {"eq": "0"}}
    assert shadows(earlier, later) == [("r1", "r0")]


def test_a_later_any_whose_every_alternative_is_covered():
    earlier = {"reason": ["cooling_off", "cancellation"]}
    later = {"any": [{"reason": "cooling_off"}, {"reason": "cancellation", "written": True}]}
    assert shadows(earlier, later) == [("r1", "r0")]


def test_all_is_read_as_the_conditions_it_lists():
    earlier = {"all": [{"reason": "duplicate_charge"}, {"charge.kind": "hosting"}]}
    later = {"charge.kind": "hosting", "reason": "duplicate_charge", "written": True}
    assert shadows(earlier, later) == [("r1", "r0")]


def test_a_value_implies_that_the_fact_is_given():
    assert shadows(
        {"account.closed_at": {"present": True}, "reason": "account_closure"},
        {
            "reason": "account_closure",
            "account.closed_at": {"present": True},
            "account.closure_cause": "voluntary",
        },
    ) == [("r1", "r0")]
    assert shadows({"charge.kind": {"present": True}}, {"charge.kind": "hosting"}) == [("r1", "r0")]


def test_only_the_first_earlier_rule_is_named():
    assert shadows({"reason": "system_error"}, {}, {"reason": "system_error"}) == [("r2", "r0")]


# --- negatives ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ({"reason": "duplicate_charge"}, {"reason": "billing_error"}),
        # the more specific rule first is the right order
        ({"reason": "duplicate_charge", "charge.kind": "hosting"}, {"reason": "duplicate_charge"}),
        ({"reason": "cooling_off"}, {"reason": ["cooling_off", "cancellation"]}),
        ({"charge.amount": {"gt": "500"}}, {"charge.amount": {"gt": "100"}}),
        ({"charge.amount": {"gt": "100"}}, {"charge.amount": {"gte": "100"}}),
        ({"charge.amount": {"gt": "100"}}, {"charge.amount": {"lt": "1000"}}),
        # different windows are not compared (a warning is never a guess)
        (
            {"within": {"days": 30, "of": "charge.charged_at"}},
            {"within": {"days": 14, "of": "charge.charged_at"}},
        ),
        ({"not": {"reason": "cooling_off"}}, {"reason": "cancellation"}),
        ({"charge.kind": {"present": False}}, {"charge.kind": "hosting"}),
        ({"charge.kind": {"ne": "hosting"}}, {"charge.kind": ["hosting", "addon"]}),
        (
            {"any": [{"reason": "cooling_off"}, {"reason": "cancellation"}]},
            {"reason": ["cooling_off", "change_of_mind"]},
        ),
    ],
)
def test_rules_that_can_still_apply_are_not_reported(earlier, later):
    assert shadows(earlier, later) == []


def test_disjoint_values_imply_a_not_in():
    assert shadows({"charge.kind": {"not_in": ["hosting"]}}, {"charge.kind": "addon"}) == [
        ("r1", "r0")
    ]


@pytest.mark.parametrize("name", ["conek", "kelbix", "kero", "myprotektor"])
def test_the_shipped_policies_lint_clean(name):
    policy = load_policy_file(SHIPPED / f"{name}.yaml")
    assert lint_policy(policy) == []


# --- rules whose own conditions exclude each other -----------------------------------------------


def unreachable(*whens: dict[str, Any]) -> list[tuple[str, str]]:
    rules = [{**rule(f"r{i}", "2", when, DENY), "when": when} for i, when in enumerate(whens)]
    doc = PolicyDocument.model_validate(policy_doc(rules))
    found = unreachable_rules(doc, [10 * (i + 1) for i in range(len(whens))], "p.yaml")
    return [
        (w.rule, w.conflict if isinstance(w, Contradictory) else f"after {w.shadowed_by}")
        for w in found
    ]


@pytest.mark.parametrize(
    ("when", "conflict"),
    [
        (
            {"all": [{"reason": "cooling_off"}, {"reason": "cancellation"}]},
            "reason is cancellation and reason is cooling_off",
        ),
        (
            {"charge.amount": {"gt": "1000"}, "all": [{"charge.amount": {"lte": "500"}}]},
            "charge.amount <= 500 and charge.amount > 1000",
        ),
        (
            {"charge.amount": {"gt": "100"}, "all": [{"charge.amount": {"lt": "100"}}]},
            "charge.amount < 100 and charge.amount > 100",
        ),
        (
            {"charge.kind": "hosting", "all": [{"charge.kind": {"ne": "hosting"}}]},
            "charge.kind is hosting and charge.kind is not hosting",
        ),
        (
            {"charge.kind": {"present": False}, "all": [{"charge.kind": "addon"}]},
            "charge.kind is absent and charge.kind is addon",
        ),
    ],
)
def test_a_rule_whose_conditions_exclude_each_other_is_reported(when, conflict):
    assert unreachable({"reason": "duplicate_charge"}, when) == [("r1", conflict)]


@pytest.mark.parametrize(
    "when",
    [
        {"charge.amount": {"gte": "100"}, "all": [{"charge.amount": {"lte": "100"}}]},
        {"reason": ["cooling_off", "cancellation"], "all": [{"reason": "cancellation"}]},
        {"charge.kind": {"ne": "hosting"}, "all": [{"charge.kind": "addon"}]},
    ],
)
def test_conditions_that_can_hold_together_are_not_reported(when):
    assert unreachable(when) == []


def test_a_contradictory_rule_is_reported_once_and_before_later_shadows():
    contradictory = {"all": [{"reason": "cooling_off"}, {"reason": "cancellation"}]}
    assert unreachable(
        {"reason": "system_error"}, contradictory, {"reason": "system_error", "written": True}
    ) == [
        ("r1", "reason is cancellation and reason is cooling_off"),
        ("r2", "after r0"),
    ]


# --- file:line, CLI -----------------------------------------------------------------------------


def _write_shadowed(tmp_path: Path) -> Path:
    rules = [
        rule("any-duplicate", "2", {"reason": "duplicate_charge"}, refund()),
        rule(
            "hosting-duplicate", "2", {"reason": "duplicate_charge", "charge.kind": "hosting"}, DENY
        ),
    ]
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(policy_doc(rules), sort_keys=False), encoding="utf-8")
    return path


def _rule_lines(path: Path) -> list[int]:
    lines = path.read_text().splitlines()
    return [lines.index(f"- id: {rid}") + 1 for rid in ("any-duplicate", "hosting-duplicate")]


def test_a_warning_names_both_rules_with_file_and_line(tmp_path):
    path = _write_shadowed(tmp_path)
    first, second = _rule_lines(path)
    [warning] = lint_policy(load_policy_file(path))
    assert warning == Shadowed(str(path), "hosting-duplicate", second, "any-duplicate", first)
    assert warning.render() == (
        f"{path}:{second}: warning: rule 'hosting-duplicate' can never apply: rule "
        f"'any-duplicate' ({path}:{first}) comes first and matches every request this rule "
        "matches"
    )


def test_validate_warns_and_still_succeeds(tmp_path):
    path = _write_shadowed(tmp_path)
    result = CliRunner().invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"ok {path}: acme 2026-01-01, 2 rules" in result.stdout
    assert "warning" in result.stderr
    assert "rule 'hosting-duplicate' can never apply" in result.stderr
    assert "0 problem(s) in 1 file(s); 1 warning(s)" in result.stderr


def test_validate_strict_makes_a_warning_an_error(tmp_path):
    result = CliRunner().invoke(
        app, ["policy", "validate", "--strict", str(_write_shadowed(tmp_path))]
    )
    assert result.exit_code == 3
    assert "can never apply" in result.stderr


def test_validate_json_lists_the_warnings(tmp_path):
    path = _write_shadowed(tmp_path)
    first, second = _rule_lines(path)
    result = CliRunner().invoke(app, ["policy", "validate", "--json", "--strict", str(path)])
    assert result.exit_code == 3
    body = json.loads(result.stdout)
    assert body["ok"] is False
    assert body["problems"] == []
    assert body["files"][0]["warnings"] == 1
    [warning] = body["warnings"]
    assert warning["code"] == "rule_shadowed"
    assert (warning["rule"], warning["line"]) == ("hosting-duplicate", second)
    assert (warning["shadowed_by"], warning["shadowed_by_line"]) == ("any-duplicate", first)


def test_validate_the_shipped_policies_strictly(tmp_path):
    result = CliRunner().invoke(app, ["policy", "validate", "--strict", "--json", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True
    assert body["warnings"] == []
    assert len(body["files"]) == 4
