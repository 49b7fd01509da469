"""Clause coverage: per clause the rules that cite it and the scenarios that exercise it;
clauses implemented but never tested are flagged, and fail `policy coverage --strict`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from refundable.entrypoints.cli import app
from refundable.policy.coverage import ClauseStatus, ScenarioRef, coverage
from refundable.policy.loader import load_policy_file
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import run_file

from .support import compile_doc, policy_doc, refund, rule

SHIPPED = Path(__file__).parents[3] / "src" / "refundable" / "policies"

DOC = policy_doc(
    [
        rule("duplicate", "2", {"reason": "duplicate_charge"}, refund(), also_cites=["7"]),
        rule("outage", "3", {"reason": "service_outage"}, {"outcome": "review"}),
    ],
    clauses=[
        {"id": "1", "title": "No refunds as a rule"},
        {"id": "2", "title": "Duplicate charges"},
        {"id": "3", "title": "Outages"},
        {"id": "4", "title": "Wallet transfers", "implemented_by": ["ledger: transfer rules"]},
        {"id": "6", "title": "Contact", "informational": "contact details only"},
        {"id": "7", "title": "Refunds go to the original method"},
        {"id": "8", "title": "Decision within 10 business days"},
        {"id": "9", "title": "Credits expire", "informational": None},
    ],
    process={"review": {"business_days": 10, "clause": "8"}},
    credits={"clause": "9", "valid_days": 365},
)

SCENARIOS = """\
policy: acme
scenarios:
  - name: duplicate refunded
    request:
      requested_at: 2026-03-02T10:00:00+02:00
      reason: duplicate_charge
      charge: {kind: subscription, amount: "200.00", currency: ZAR,
               charged_at: 2026-03-01T10:00:00+02:00}
    expect: {outcome: approve}
  - name: nothing else is refunded
    request: {requested_at: 2026-03-02T10:00:00+02:00, reason: change_of_mind}
    expect: {outcome: deny}
"""


def write_policy(tmp_path: Path) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(DOC, sort_keys=False), encoding="utf-8")
    (tmp_path / "acme.scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    return path


def rows_for(tmp_path: Path):
    path = write_policy(tmp_path)
    policy = compile_doc(DOC)
    results = run_file(
        path.with_name("acme.scenarios.yaml"), PolicyRegistry.from_policies([policy])
    )
    return {r.clause: r for r in coverage(policy, results)}


def test_each_clause_names_the_rules_that_cite_it(tmp_path):
    rows = rows_for(tmp_path)
    assert rows["2"].rules == ("duplicate",)
    assert rows["7"].rules == ("duplicate",)  # through also_cites
    assert rows["3"].rules == ("outage",)
    assert rows["1"].rules == ()


def test_each_clause_names_the_scenarios_that_exercise_it(tmp_path):
    rows = rows_for(tmp_path)
    scenarios = str(tmp_path / "acme.scenarios.yaml")
    assert rows["2"].exercised_by == (ScenarioRef("duplicate refunded", scenarios, 3),)
    assert rows["1"].exercised_by == (ScenarioRef("nothing else is refunded", scenarios, 10),)
    # the review promise is put to work by every decision's decide_by
    assert [s.line for s in rows["8"].exercised_by] == [3, 10]
    assert rows["2"].to_dict()["scenarios"] == [
        {"name": "duplicate refunded", "file": scenarios, "line": 3}
    ]


def test_a_clause_implemented_but_never_exercised_is_flagged(tmp_path):
    rows = rows_for(tmp_path)
    assert rows["3"].status is ClauseStatus.implemented
    assert rows["3"].untested
    assert [c for c, r in rows.items() if r.untested] == ["3"]


def test_clauses_enforced_outside_decisions_are_not_flagged(tmp_path):
    rows = rows_for(tmp_path)
    for clause in ("4", "9"):  # implemented_by the ledger; the credits section
        assert rows[clause].status is ClauseStatus.implemented
        assert rows[clause].outside_decisions
        assert not rows[clause].untested
    assert rows["6"].status is ClauseStatus.informational
    assert not rows["6"].untested


def test_coverage_command_flags_untested_clauses_and_fails_only_when_strict(tmp_path):
    path = write_policy(tmp_path)
    relaxed = CliRunner().invoke(app, ["policy", "coverage", str(path)])
    assert relaxed.exit_code == 0, relaxed.output
    assert "1 implemented but never tested" in relaxed.stdout
    assert "untested clause 3 (Outages): enforced by rule outage" in relaxed.stderr
    strict = CliRunner().invoke(app, ["policy", "coverage", "--strict", str(path)])
    assert strict.exit_code == 1


def test_coverage_json_lists_rules_and_scenarios_per_clause(tmp_path):
    path = write_policy(tmp_path)
    result = CliRunner().invoke(app, ["policy", "coverage", "--json", "--strict", str(path)])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert (body["policy"], body["ok"]) == ("acme", False)
    by_clause = {c["clause"]: c for c in body["clauses"]}
    assert by_clause["3"]["untested"] is True
    assert by_clause["3"]["rules"] == ["outage"]
    assert by_clause["2"]["tested"] is True
    assert [s["name"] for s in by_clause["2"]["scenarios"]] == ["duplicate refunded"]
    assert by_clause["4"]["outside_decisions"] is True


@pytest.mark.parametrize("name", ["conek", "kelbix", "kero", "myprotektor"])
def test_every_implemented_clause_of_the_shipped_policies_is_tested(name):
    path = SHIPPED / f"{name}.yaml"
    policy = load_policy_file(path)
    results = run_file(SHIPPED / f"{name}.scenarios.yaml", PolicyRegistry.from_policies([policy]))
    rows = coverage(policy, results)
    assert [r.clause for r in rows if r.untested] == []
    assert [r.clause for r in rows if r.status is ClauseStatus.uncovered] == []
    result = CliRunner().invoke(app, ["policy", "coverage", "--strict", str(path)])
    assert result.exit_code == 0, result.output
