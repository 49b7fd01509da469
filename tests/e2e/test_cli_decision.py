"""`refundable decide` as a support agent reads it: local deadlines, fee lines with their
clauses, what the customer must provide, the appeal route, and a plain explanation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .texts import DENIED_REQUEST, GOOD_REQUEST, POLICY_WITH_APPEAL

LATE_REQUEST = GOOD_REQUEST.replace("2026-03-02T10:00:00+02:00", "2026-03-25T10:00:00+02:00")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    return write(tmp_path / "acme.yaml", POLICY_WITH_APPEAL)


def flat(stdout: str) -> str:
    """The table's text with wrapping and column padding folded into single spaces."""
    return " ".join(stdout.split())


def test_the_table_shows_local_deadlines_fees_required_information_and_appeal(
    run, tmp_path, policy_file
):
    result = run(
        "decide", "--policy", str(policy_file), str(write(tmp_path / "r.yaml", GOOD_REQUEST))
    )
    assert result.returncode == 0, result.stderr
    lines = flat(result.stdout)
    assert (
        "decide by 17:00 on Monday 16 March 2026 (Africa/Johannesburg), clause 8.2 "
        "(a decision within 10 business days of the request)"
    ) in lines
    assert "fee admin ZAR 49.90: Admin fee; clause 5 (10% of ZAR 499.00)" in lines
    assert "clause 2: Duplicate charges are refunded" in lines
    assert "must provide - the account email" in lines
    assert "- the date and amount of both charges" in lines
    assert "appeal Appeal possible, through an internal review and mediation (clause 8.2)" in lines
    assert "23:59" not in result.stdout
    assert "+02:00" not in result.stdout


def test_a_refusal_reads_without_field_paths_and_the_json_keeps_instants(
    run, tmp_path, policy_file
):
    request = write(tmp_path / "r.yaml", LATE_REQUEST)
    table = run("decide", "--policy", str(policy_file), str(request))
    assert table.returncode == 0, table.stderr
    assert "charge.charged_at" not in table.stdout
    assert "your request came 33 days after the charge of 20 February 2026" in flat(table.stdout)
    body = json.loads(run("decide", "--policy", str(policy_file), "--json", str(request)).stdout)
    assert body["deadlines"]["decide_by"] == "2026-04-10T17:00:00+02:00"
    assert body["explanation"] == (
        "Denied: the request falls under clause 2 (Duplicate charges are refunded), but a "
        "duplicate charge must be reported within 30 days: your request came 33 days after "
        "the charge of 20 February 2026. A decision is due by 17:00 on Friday 10 April 2026 "
        "(Africa/Johannesburg), under clause 8.2."
    )
    step = body["trace"][0]
    assert set(step) == {"rule", "clause", "status", "why", "text"}
    assert step["why"].startswith("requirement not met: requested_at within 30 days")


def test_a_default_denial_still_shows_the_appeal_route(run, tmp_path, policy_file):
    request = write(tmp_path / "r.yaml", DENIED_REQUEST)
    result = run("decide", "--policy", str(policy_file), str(request))
    assert result.returncode == 0, result.stderr
    assert "appeal Appeal possible, through an internal review and mediation (clause 8.2)" in flat(
        result.stdout
    )
