"""Clause-by-clause coverage: for each clause of the source, what enforces it (rules,
promises, fees, other mechanisms), which rules cite it, and which scenarios exercise it.

A policy author's question is "is every clause of the text both implemented and tested?".
A clause is *implemented* when the policy cites it somewhere (or names the mechanism that
enforces it), *informational* when the policy says why it needs no rule, and *uncovered*
otherwise. Separately, a clause is *tested* when at least one scenario's decision cites it:
an implemented clause no scenario exercises can change without any test noticing, which
``refundable policy coverage --strict`` turns into a failure
(docs/decisions/0026-shadowed-rules-and-clause-coverage.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from refundable.policy.checks import citations
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.decision import Decision
from refundable.policy.document import PolicyDocument
from refundable.policy.scenarios import ScenarioResult


class ClauseStatus(StrEnum):
    implemented = "implemented"
    informational = "informational"
    uncovered = "uncovered"


@dataclass(frozen=True, slots=True)
class ScenarioRef:
    """One scenario that exercised a clause: its name and where it is written."""

    name: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class ClauseCoverage:
    clause: str
    title: str
    status: ClauseStatus
    enforced_by: tuple[str, ...]
    reason: str | None
    scenarios: int
    rules: tuple[str, ...] = ()
    exercised_by: tuple[ScenarioRef, ...] = ()
    # Enforced only by mechanisms outside decisions (``implemented_by``, e.g. the ledger's
    # transfer rules): a scenario cannot exercise it; those mechanisms have their own tests.
    outside_decisions: bool = False

    @property
    def untested(self) -> bool:
        """Implemented by the policy, yet no scenario's decision cites it."""
        return (
            self.status is ClauseStatus.implemented
            and not self.outside_decisions
            and not self.exercised_by
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "title": self.title,
            "status": self.status.value,
            "tested": bool(self.exercised_by),
            "untested": self.untested,
            "outside_decisions": self.outside_decisions,
            "enforced_by": list(self.enforced_by),
            "reason": self.reason,
            "rules": list(self.rules),
            "scenarios": [
                {"name": s.name, "file": s.file, "line": s.line} for s in self.exercised_by
            ],
        }


# Sections read by the ledger (wallet transfers, credit validity), run by the subscription
# lifecycle (refundable.billing, tested in tests/unit/billing), by refund cases
# (refundable.cases, tested in tests/unit/cases and tests/service), by publishing a version
# (changes) or by the usage handlers: not by decisions.
_OUTSIDE_DECISIONS = ("wallet", "credits", "lifecycle", "cases", "changes", "usage")
_RUN_SECTIONS = ("lifecycle", "changes", "usage")  # rows name the code that runs them

# The code that runs each part of the ``lifecycle:``, ``changes:`` and ``usage:`` sections,
# named by its dotted path so a row says where a clause is carried out (a test imports every
# one of them, so a rename cannot leave coverage pointing at nothing).
RUNS: dict[str, str] = {
    "lifecycle billing": "refundable.billing.changes.renew",
    "lifecycle upgrade": "refundable.billing.changes.upgrade",
    "lifecycle downgrade": "refundable.billing.changes.downgrade",
    "lifecycle cancellation": "refundable.billing.ending.cancel",
    "lifecycle cancellation.notice_clause": "refundable.billing.ending.cancel",
    "lifecycle cancellation.immediate_clause": "refundable.billing.ending.cancel",
    "lifecycle cancellation.cooling_off_clause": "refundable.billing.ending.cancel",
    "lifecycle cancellation.fees_due_clause": "refundable.billing.ending.end_at_period_end",
    "lifecycle trial": "refundable.billing.changes.start_trial",
    "lifecycle trial.credits_clause": "refundable.billing.changes.subscribe",
    "lifecycle suspension": "refundable.billing.dunning.grace_ended",
    "lifecycle suspension.exempt_clause": "refundable.billing.entitlement.can_use",
    "lifecycle termination": "refundable.billing.ending.terminate",
    "lifecycle reactivation": "refundable.billing.ending.reactivate",
    "lifecycle entitlements": "refundable.billing.plan_access.plan_allows",
    "lifecycle usage": "refundable.service.usage_billing.bill_overage",
    "lifecycle usage.dispute_clause": "refundable.service.usage_billing.dispute_usage_charge",
    "lifecycle retention.after_suspension": "refundable.service.retention.schedule_retention",
    "lifecycle retention.after_cancellation": "refundable.service.retention.schedule_retention",
    "lifecycle retention.after_termination": "refundable.service.retention.schedule_retention",
    "lifecycle discontinuation": "refundable.service.discontinuation.discontinue_service",
    "lifecycle promotions": "refundable.billing.promotions.apply_promotion",
    "lifecycle promotions.credits_clause": "refundable.billing.promotions.lapse_promotion",
    "changes": "refundable.tenants.notice.check_notice",
}


def coverage(policy: CompiledPolicy, results: list[ScenarioResult]) -> list[ClauseCoverage]:
    """One row per clause of the policy, in the policy's order."""
    doc = policy.document
    by_clause: dict[str, list[str]] = {}
    in_decisions: set[str] = set()
    for clause, loc in citations(doc):
        by_clause.setdefault(clause, []).append(_describe(doc, loc))
        if loc[0] not in _OUTSIDE_DECISIONS:
            in_decisions.add(clause)
    rules = _rules_by_clause(doc)
    exercised = _scenarios_by_clause(policy, results)
    rows = []
    for c in doc.clauses:
        enforced = tuple(dict.fromkeys(by_clause.get(c.id, []) + list(c.implemented_by)))
        status = (
            ClauseStatus.implemented
            if enforced
            else ClauseStatus.informational
            if c.informational
            else ClauseStatus.uncovered
        )
        refs = tuple(exercised.get(c.id, ()))
        outside = bool(enforced) and c.id not in in_decisions
        row = ClauseCoverage(c.id, c.title, status, enforced, c.informational, len(refs))
        rows.append(
            replace(row, rules=rules.get(c.id, ()), exercised_by=refs, outside_decisions=outside)
        )
    return rows


def _rules_by_clause(doc: PolicyDocument) -> dict[str, tuple[str, ...]]:
    """The rules citing each clause: as their own clause, in also_cites or a requirement."""
    out: dict[str, dict[str, None]] = {}
    for rule in doc.rules:
        cited = [rule.clause, *rule.also_cites, *(r.clause for r in rule.requires if r.clause)]
        for clause in cited:
            out.setdefault(clause, {})[rule.id] = None
    return {clause: tuple(ids) for clause, ids in out.items()}


def _scenarios_by_clause(
    policy: CompiledPolicy, results: list[ScenarioResult]
) -> dict[str, list[ScenarioRef]]:
    out: dict[str, list[ScenarioRef]] = {}
    for r in results:
        if r.decision is None or r.decision.policy != policy.id:
            continue
        ref = ScenarioRef(r.name, r.file, r.line)
        for clause in dict.fromkeys(_exercised(policy, r.decision)):
            out.setdefault(clause, []).append(ref)
    return out


def _exercised(policy: CompiledPolicy, d: Decision) -> list[str]:
    """The clauses a decision puts to work: those it cites, its deadlines' promises, the
    appeal it offers and the information it asks for."""
    clauses = list(d.clauses)
    clauses += [dl.clause for dl in (d.decide_by, d.pay_by) if dl is not None]
    process = policy.document.process
    if d.appeal and process.appeal is not None:
        clauses.append(process.appeal.clause)
    if d.required_information:
        clauses += [item.clause for item in process.required_information]
    return clauses


def _describe(doc: PolicyDocument, loc: tuple[object, ...]) -> str:
    if loc[0] == "rules" and isinstance(loc[1], int):
        return f"rule {doc.rules[loc[1]].id}"
    if loc[0] in _RUN_SECTIONS:  # lifecycle, changes, usage: name the code
        names = [str(p) for p in loc[1:] if not isinstance(p, int)]
        part = ".".join(n for n in names if n not in ("clause", "also_cites"))
        topic = f"{loc[0]} {part}".strip()
        runner = RUNS.get(topic)
        return f"{topic} ({runner})" if runner else topic
    return ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
