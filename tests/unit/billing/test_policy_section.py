"""The ``lifecycle:`` section of the policy language compiles into the rules billing runs."""

from pathlib import Path

import pytest

from refundable.billing.policy import lifecycle_rules
from refundable.core.errors import PolicyInvalid
from refundable.policy.loader import load_policy_text

from .support import CONEK

CONEK_FILE = Path(__file__).parents[3] / "src/refundable/policies/conek.yaml"


def test_conek_section_compiles_to_the_rules_the_tests_use() -> None:
    text = CONEK_FILE.read_text()
    doc = load_policy_text(text, "conek.yaml").document
    assert lifecycle_rules(doc) == CONEK


def test_lifecycle_clause_must_exist_with_file_line() -> None:
    text = CONEK_FILE.read_text()
    broken = text.replace('termination: {clause: "7.2"', 'termination: {clause: "77.2"')
    with pytest.raises(PolicyInvalid) as err:
        load_policy_text(broken, "conek.yaml")
    assert "conek.yaml:" in str(err.value) and "77.2" in str(err.value)


def test_lifecycle_days_bounded() -> None:
    text = CONEK_FILE.read_text()
    broken = text.replace("grace_days: 7", "grace_days: 99999")
    with pytest.raises(PolicyInvalid, match="grace_days"):
        load_policy_text(broken, "conek.yaml")


def test_coverage_points_lifecycle_clauses_at_their_rules() -> None:
    from refundable.policy.coverage import coverage

    rows = {r.clause: r for r in coverage(load_policy_text(CONEK_FILE.read_text()), [])}
    assert "lifecycle upgrade (refundable.billing.changes.upgrade)" in rows["6.2"].enforced_by
    assert (
        "lifecycle reactivation (refundable.billing.ending.reactivate)" in rows["3.4"].enforced_by
    )
    assert (
        "lifecycle retention.after_cancellation (refundable.service.retention.schedule_retention)"
        in rows["3.4"].enforced_by
    )
    assert rows["6.2"].outside_decisions and rows["6.2"].reason is None
    assert not any("handled by billing" in (r.reason or "") for r in rows.values())
