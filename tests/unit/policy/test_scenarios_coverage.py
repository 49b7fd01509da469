"""The scenario runner, clause coverage and the plain-language description of a policy."""

from __future__ import annotations

from refundable.policy.coverage import coverage
from refundable.policy.explain import describe_policy
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import run_file

from .support import compile_doc, policy_doc, refund, rule

DOC = policy_doc(
    [
        rule("duplicate", "2", {"reason": "duplicate_charge"}, {**refund(), "fees": ["admin"]}),
        rule("outage", "3", {"reason": "service_outage"}, {"outcome": "review"}),
    ],
    clauses=[
        {"id": "1", "title": "No refunds as a rule"},
        {"id": "2", "title": "Duplicate charges"},
        {"id": "3", "title": "Outages"},
        {"id": "4", "title": "Wallet transfers", "implemented_by": ["ledger: transfer rules"]},
        {"id": "5", "title": "Admin fee"},
        {"id": "6", "title": "Contact", "informational": "contact details only"},
    ],
    fees={"admin": {"clause": "5", "description": "Admin fee", "percent": 10}},
    process={"review": {"business_days": 10, "clause": "1"}},
)

SCENARIOS = """\
policy: acme
scenarios:
  - name: duplicate refunded less the fee
    request:
      requested_at: 2026-03-02T10:00:00+02:00
      reason: duplicate_charge
      charge: {kind: subscription, amount: "200.00", currency: ZAR,
               charged_at: 2026-03-01T10:00:00+02:00}
    expect: {outcome: approve, gross: "200.00", fees: {admin: "20.00"}, net: "180.00",
             clauses: ["2", "5"], decide_by: 2026-03-16T17:00:00+02:00,
             explanation_contains: "Admin fee"}
  - name: wrong expectations
    request:
      requested_at: 2026-03-02T10:00:00+02:00
      reason: duplicate_charge
      charge: {kind: subscription, amount: "200.00", currency: ZAR,
               charged_at: 2026-03-01T10:00:00+02:00}
    expect: {outcome: deny, fees: {admin: "10.00"}, clauses: ["9"], rule: other}
  - name: a bad request expected to be refused
    request: {requested_at: 2026-03-02T10:00:00, reason: duplicate_charge}
    expect: {error: invalid_input}
  - name: unknown expectation key
    request: {requested_at: 2026-03-02T10:00:00+02:00, reason: duplicate_charge}
    expect: {outcom: deny}
"""


def _results(tmp_path):
    path = tmp_path / "acme.scenarios.yaml"
    path.write_text(SCENARIOS, encoding="utf-8")
    policy = compile_doc(DOC)
    return policy, run_file(path, PolicyRegistry.from_policies([policy]))


def test_scenarios_report_each_mismatch(tmp_path):
    _, results = _results(tmp_path)
    assert [(r.line, r.passed) for r in results] == [
        (3, True),
        (12, False),
        (19, True),
        (22, False),
    ]
    assert results[1].mismatches == (
        "outcome: expected deny, got approve",
        "fees: expected {'admin': '10.00'}, got {'admin': '20.00'}",
        "clauses: expected to cite ['9'], cited ['2', '5']",
        "rule: expected other, got duplicate",
    )
    assert results[3].mismatches[0].startswith("unknown expect keys ['outcom']; allowed: outcome")


def test_coverage_lists_every_clause_with_what_enforces_it(tmp_path):
    policy, results = _results(tmp_path)
    rows = {r.clause: (r.status, r.enforced_by, r.scenarios) for r in coverage(policy, results)}
    assert rows == {
        # both decisions carry the review promise of clause 1 (decide_by)
        "1": ("implemented", ("process.review", "default"), 2),
        "2": ("implemented", ("rule duplicate",), 2),
        "3": ("implemented", ("rule outage",), 0),
        "4": ("implemented", ("ledger: transfer rules",), 0),
        "5": ("implemented", ("fees.admin",), 2),
        "6": ("informational", (), 0),
    }


def test_describe_policy_lists_rules_in_order():
    text = describe_policy(compile_doc(DOC))
    lines = text.splitlines()
    assert lines[0] == (
        "Acme — policy acme version 2026-01-01, in force from 2026-01-01 (Africa/Johannesburg, ZAR)"
    )
    first = lines.index(
        " 1. duplicate [clause 2 (Duplicate charges)]: approved, a refund (the full charge)"
    )
    second = lines.index(" 2. outage [clause 3 (Outages)]: referred for review")
    assert first < second
    assert "    when the reason for the request is a duplicate charge" in lines
    assert "Decision promise: within 10 business days (clause 1 (No refunds as a rule))" in lines
