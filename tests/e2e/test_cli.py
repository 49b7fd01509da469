"""The `refundable` command end to end: real process, real files, exit codes and output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import yaml

from .texts import DENIED_REQUEST, GOOD_REQUEST, POLICY

CONTRACT_KEYS = {
    "outcome",
    "remedy",
    "gross",
    "fees",
    "net",
    "units",
    "currency",
    "clauses",
    "policy_version",
    "deadlines",
    "explanation",
    "trace",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- decide ----------------------------------------------------------------------------------


def test_decide_prints_a_table_with_outcome_clause_and_amounts(run, tmp_path, policy_file):
    request = write(tmp_path / "request.yaml", GOOD_REQUEST)
    result = run("decide", "--policy", str(policy_file), str(request))
    assert result.returncode == 0, result.stderr
    lines = [line.split(None, 1) for line in result.stdout.splitlines() if line.strip()]
    table = {parts[0]: parts[1].strip() for parts in lines if len(parts) > 1}
    assert table["outcome"] == "approve"
    assert table["remedy"] == "refund"
    assert table["rule"] == "duplicate-charge"
    assert table["clauses"] == "2, 5"
    assert table["gross"] == "ZAR 499.00"
    assert table["net"] == "ZAR 449.10"
    assert "clause 2 (Duplicate charges are refunded)" in result.stdout
    assert result.stderr == ""


def test_decide_json_from_stdin_has_the_contract_keys(run, policy_file):
    text = json.dumps(yaml.safe_load(GOOD_REQUEST), default=str)  # JSON in, on stdin
    result = run("decide", "--policy", str(policy_file), "--json", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) >= CONTRACT_KEYS
    assert {"decide_by", "pay_by"} <= set(body["deadlines"])
    assert body["outcome"] == "approve"
    assert body["remedy"] == "refund"
    assert (body["gross"], body["net"], body["currency"]) == ("499.00", "449.10", "ZAR")
    assert body["fees"][0]["id"] == "admin"
    assert body["fees"][0]["amount"] == "49.90"
    assert body["units"] is None
    assert body["clauses"] == ["2", "5"]
    assert body["policy_version"] == "2026-01-01"
    assert body["deadlines"]["decide_by"] == "2026-03-16T17:00:00+02:00"
    assert body["deadlines"]["pay_by"] == "2026-03-16T17:00:00+02:00"
    assert body["explanation"].startswith("Approved under clause 2")
    assert body["trace"] == [
        {
            "rule": "duplicate-charge",
            "clause": "2",
            "status": "applied",
            "why": "all of its conditions held",
            "text": "applies: all of its conditions held",
        }
    ]


def test_decide_by_policy_id_uses_the_policies_directory(run, tmp_path, policy_dir):
    request = write(tmp_path / "request.yaml", DENIED_REQUEST)
    result = run("decide", "--policies", str(policy_dir), "--json", str(request))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["outcome"], body["clauses"], body["net"]) == ("deny", ["1"], "0.00")


def test_bad_request_exits_2_naming_the_field_on_stderr(run, tmp_path, policy_file):
    bad = GOOD_REQUEST.replace('amount: "499.00"', "amount: 499.00")
    request = write(tmp_path / "request.yaml", bad)
    result = run("decide", "--policy", str(policy_file), str(request))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "[invalid_input] charge.amount: amount 499.0 is a float" in result.stderr


def test_request_before_the_first_version_exits_4(run, tmp_path, policy_file):
    early = GOOD_REQUEST.replace("2026-03-02T10:00:00+02:00", "2025-12-31T10:00:00+02:00")
    request = write(tmp_path / "request.yaml", early)
    result = run("decide", "--policy", str(policy_file), str(request))
    assert result.returncode == 4
    assert result.stdout == ""
    assert "[no_policy_version_in_force]" in result.stderr
    assert "no version of policy 'acme' was in force on 2025-12-31" in result.stderr


def test_decide_under_a_broken_policy_exits_3(run, tmp_path):
    policy = write(tmp_path / "broken.yaml", POLICY.replace("formula: full", "formula: al"))
    request = write(tmp_path / "request.yaml", GOOD_REQUEST)
    result = run("decide", "--policy", str(policy), str(request))
    assert result.returncode == 3
    assert result.stdout == ""
    line = POLICY.splitlines().index("      amount: {formula: full}") + 1
    assert f"{policy}:{line}: rules.0.then.amount.formula: 'al' is not allowed" in result.stderr


# --- policy validate -------------------------------------------------------------------------


def test_validate_a_good_policy(run, policy_file):
    result = run("policy", "validate", str(policy_file))
    assert result.returncode == 0, result.stderr
    assert f"ok {policy_file}: acme 2026-01-01, 1 rules, 6 clauses" in result.stdout


def test_validate_a_broken_policy_exits_3_listing_file_and_line(run, tmp_path):
    broken = (
        POLICY.replace("when: {reason: duplicate_charge}", "when: {reason: duplicate}")
        .replace("fees: [admin]", "fees: [admn]")
        .replace('clause: "8.3"}', 'clause: "8.4"}')
    )
    policy = write(tmp_path / "broken.yaml", broken)
    result = run("policy", "validate", str(policy))
    assert result.returncode == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error ")]
    assert errors == [
        f"error {policy}:11: cites clause '8.4', which is not listed under clauses "
        "(allowed: a clause id from the clauses list: 1, 2, 5, 8.2, 8.3, 9)",
        f"error {policy}:19: clause 8.3 (Payment within 10 business days) is neither cited by "
        "a rule nor informational (allowed: cite it from a rule, process, fee or parameter, "
        "or give informational: <reason>)",
        f"error {policy}:25: 'duplicate' is not a value of reason (allowed: "
        "accidental_activation, account_closure, billing_error, business_closure, "
        "cancellation, change_of_mind, compromised_account, cooling_off, downgrade, "
        "duplicate_charge, failed_delivery, project_cancellation, service_non_delivery, "
        "service_outage, system_error, technical_issue, unauthorized_charge, "
        "unintended_auto_topup, wrongful_termination)",
        f"error {policy}:33: unknown fee 'admn' (allowed: admin)",
    ]
    assert "4 problem(s) in 1 file(s)" in result.stderr


def test_validate_a_directory_reports_every_file(run, tmp_path, policy_dir):
    write(policy_dir / "other.yaml", "policy: other\n")
    write(policy_dir / "acme.scenarios.yaml", "policy: acme\nscenarios: []\n")
    result = run("policy", "validate", str(policy_dir))
    assert result.returncode == 3
    assert f"ok {policy_dir / 'acme.yaml'}" in result.stdout
    assert f"error {policy_dir / 'other.yaml'}:1: top level: missing keys 'name', " in result.stderr
    assert "acme.scenarios.yaml" not in result.stdout + result.stderr


# --- policy test -----------------------------------------------------------------------------

SCENARIOS = """\
policy: acme
scenarios:
  - name: duplicate charge refunded less the fee
    request:
      requested_at: 2026-03-02T10:00:00+02:00
      reason: duplicate_charge
      charge: {kind: subscription, amount: "499.00", currency: ZAR,
               charged_at: 2026-02-20T08:00:00+02:00}
    expect:
      outcome: approve
      rule: duplicate-charge
      gross: "499.00"
      fees: {admin: "49.90"}
      net: "449.10"
      clauses: ["2", "5"]
      decide_by: 2026-03-16T17:00:00+02:00
  - name: late duplicate wrongly expected to be approved
    request:
      requested_at: 2026-04-02T10:00:00+02:00
      reason: duplicate_charge
      charge: {kind: subscription, amount: "499.00", currency: ZAR,
               charged_at: 2026-02-20T08:00:00+02:00}
    expect:
      outcome: approve
      net: "449.10"
"""


def test_policy_test_reports_the_mismatch_and_exits_1(run, policy_dir):
    scenarios = write(policy_dir / "acme.scenarios.yaml", SCENARIOS)
    result = run("policy", "test", str(scenarios))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"FAIL {scenarios}:17 late duplicate wrongly expected to be approved" in lines
    assert "     outcome: expected approve, got deny" in lines
    assert "     net: expected 449.10, got 0.00" in lines
    assert "duplicate charge refunded less the fee" not in result.stdout
    assert lines[-1] == "1 passed, 1 failed"


# --- policy coverage -------------------------------------------------------------------------


def test_policy_coverage_prints_each_clause_with_its_scenarios(run, policy_dir, policy_file):
    write(policy_dir / "acme.scenarios.yaml", SCENARIOS)
    result = run("policy", "coverage", str(policy_file))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {
        cells[0]: (cells[2], cells[4])
        for line in result.stdout.splitlines()
        if len(cells := [c.strip() for c in line.strip("│┃ ").split("│")]) == 5
    }
    # both scenarios cite clause 2 and carry the review promise (8.2); only the approved one
    # also cites the fee clause 5 and has a payment deadline (8.3); none reaches the default
    assert rows == {
        "1": ("implemented", "untested"),
        "2": ("implemented", "2 (lines 3, 17)"),
        "5": ("implemented", "1 (line 3)"),
        "8.2": ("implemented", "2 (lines 3, 17)"),
        "8.3": ("implemented", "1 (line 3)"),
    }  # clause 9's row ends in an empty cell, which the parsing above drops
    assert any(
        line.startswith("│ 9 ") and "informational" in line for line in result.stdout.splitlines()
    )
    assert "6 clauses: 5 implemented, 1 informational, 0 uncovered" in result.stdout
    assert "untested clause 1 (No refunds as a rule)" in result.stderr
    strict = run("policy", "coverage", "--strict", str(policy_file))
    assert strict.returncode == 1


# --- policy schema ---------------------------------------------------------------------------


def _as_json_data(text: str) -> object:
    """YAML as the JSON an editor would check: dates become ISO strings."""

    def plain(value: object) -> object:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(yaml.safe_load(text))


BAD_POLICIES = {
    "'aprove' is not one of": POLICY.replace("outcome: approve", "outcome: aprove"),
    "Additional properties are not allowed": POLICY.replace("name: Acme\n", "name: A\nx: 1\n"),
    "'currency' is a required property": POLICY.replace("currency: ZAR\n", ""),
}


def test_schema_accepts_a_good_policy_and_rejects_bad_ones(run):
    result = run("policy", "schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(_as_json_data(POLICY))) == []
    for reason, text in BAD_POLICIES.items():
        messages = [e.message for e in validator.iter_errors(_as_json_data(text))]
        assert any(reason in m for m in messages), (reason, messages)


# --- demo ------------------------------------------------------------------------------------


def test_demo_decides_every_example(run, tmp_path, policy_dir):
    examples = tmp_path / "examples"
    write(examples / "a-duplicate.yaml", GOOD_REQUEST)
    write(examples / "b-change-of-mind.yaml", DENIED_REQUEST)
    result = run("demo", "--policies", str(policy_dir), "--examples", str(examples))
    assert result.returncode == 0, result.stderr
    assert "a-duplicate.yaml" in result.stdout
    assert "b-change-of-mind.yaml" in result.stdout
    assert result.stdout.index("a-duplicate.yaml") < result.stdout.index("b-change-of-mind")
    assert "2 requests decided under 1 policies: 1 approve, 1 deny" in result.stdout
