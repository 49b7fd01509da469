"""Options every command shares: --version, -h, and --json for data and for errors."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from .texts import GOOD_REQUEST


def test_version_prints_the_installed_version(run):
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"refundable {version('refundable')}\n"


def test_dash_h_is_help_on_every_level(run):
    for args in (["-h"], ["decide", "-h"], ["policy", "test", "-h"], ["ledger", "statement", "-h"]):
        result = run(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage: refundable" in result.stdout and "--help" in result.stdout


def test_our_errors_are_json_on_stderr_with_json(run, tmp_path, policy_dir):
    result = run("decide", "--policies", str(policy_dir), "--json", "none.yaml")  # cwd: tmp_path
    assert result.returncode == 2
    assert result.stdout == ""
    assert json.loads(result.stderr) == {
        "error": {
            "code": "malformed_input",
            "message": "cannot read the request file: No such file or directory",
            "where": "none.yaml",
            "allowed": "a readable file, or '-' for standard input",
        }
    }


def test_a_policy_error_in_json_lists_every_problem(run, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy: x\nversion: 1\n", encoding="utf-8")
    request = tmp_path / "r.yaml"
    request.write_text(GOOD_REQUEST, encoding="utf-8")
    result = run("decide", "--policy", str(broken), str(request), "--json")
    assert result.returncode == 3
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "policy_invalid"
    assert len(error["details"]["problems"]) > 1
    assert all(p.startswith(f"{broken}:") for p in error["details"]["problems"])


def test_usage_errors_are_json_too(run):
    result = run("decide", "--no-such-option", "--json")
    assert result.returncode == 2
    assert json.loads(result.stderr) == {
        "error": {"code": "usage_error", "message": "No such option: --no-such-option"}
    }


def test_validate_and_test_print_json(run, policy_dir: Path):
    validated = run("policy", "validate", str(policy_dir), "--json")
    assert validated.returncode == 0, validated.stderr
    body = json.loads(validated.stdout)
    assert body["ok"] is True and body["problems"] == []
    assert [(f["policy"], f["version"]) for f in body["files"]] == [("acme", "2026-01-01")]
    tested = run("policy", "test", str(policy_dir), "--json")
    result = json.loads(tested.stdout)
    assert result["failed"] == 0 and result["passed"] == len(result["results"])
    assert tested.returncode == (0 if result["results"] else 1)


def test_validate_json_reports_problems_with_file_and_line(run, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy: x\nversion: 1\n", encoding="utf-8")
    result = run("policy", "validate", str(broken), "--json")
    assert result.returncode == 3
    problems = json.loads(result.stdout)["problems"]
    assert problems and all(p["file"] == str(broken) for p in problems)
    assert all(p["line"] is None or p["line"] >= 1 for p in problems)


def test_demo_json_has_one_decision_per_example(run, tmp_path, policy_dir):
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "a.yaml").write_text(GOOD_REQUEST, encoding="utf-8")
    result = run("demo", "--policies", str(policy_dir), "--examples", str(examples), "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert [(x["file"], x["decision"]["outcome"]) for x in body] == [("a.yaml", "approve")]
