"""Every lifecycle clause of the four source policies is pointed at the code that runs it, and
no clause is left informational because "billing handles it" (issue 9)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from refundable.policy.coverage import RUNS, ClauseStatus, coverage
from refundable.policy.loader import load_policy_file

SHIPPED = Path(__file__).parents[3] / "src" / "refundable" / "policies"

# The lifecycle clauses issue 9 names, per source.
LIFECYCLE_CLAUSES = {
    "conek": ["3.2", "3.4", "5.1", "5.2", "5.3", "6.1", "6.2", "7.1", "7.2", "7.3", "13"],
    "myprotektor": ["2.1", "2.2", "5.1", "5.2", "5.3", "6.1", "10.2", "11"],
    "kero": [
        "Introduction: payment kinds",
        "Subscription Payments",
        "Wallet Balances 2",
        "Wallet Transfers: prohibited",
        "Chargeback and Dispute Policy",
        "Modifications to this Policy",
    ],
    "kelbix": ["Monthly Hosting", "Fees Before Cancellation", "Changes"],
}
# Words of a reason that hands a clause to some other part of the product instead of running it.
HANDED_OFF = ("billing", "lifecycle", "subscription", "entitlements", "versioning")


def rows(policy: str) -> dict[str, object]:
    return {r.clause: r for r in coverage(load_policy_file(SHIPPED / f"{policy}.yaml"), [])}


@pytest.mark.parametrize("dotted", sorted(set(RUNS.values())))
def test_every_runner_named_by_coverage_exists(dotted: str) -> None:
    module, _, name = dotted.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))


@pytest.mark.parametrize("policy", sorted(LIFECYCLE_CLAUSES))
def test_lifecycle_clauses_point_at_the_code_that_runs_them(policy: str) -> None:
    found = {r.clause: r for r in coverage(load_policy_file(SHIPPED / f"{policy}.yaml"), [])}
    for clause in LIFECYCLE_CLAUSES[policy]:
        row = found[clause]
        assert row.status is ClauseStatus.implemented, (policy, clause)
        runners = [e for e in row.enforced_by if "(refundable." in e or e.startswith("rule ")]
        assert runners, (policy, clause, row.enforced_by)


@pytest.mark.parametrize("policy", sorted(LIFECYCLE_CLAUSES))
def test_no_clause_is_informational_because_billing_handles_it(policy: str) -> None:
    found = coverage(load_policy_file(SHIPPED / f"{policy}.yaml"), [])
    handed_off = [
        (r.clause, r.reason)
        for r in found
        if r.status is ClauseStatus.informational
        and any(word in (r.reason or "").lower() for word in HANDED_OFF)
    ]
    assert handed_off == []
