"""Clause-by-clause coverage: which rule, promise or fee enforces each clause of the source,
which clauses are informational and why, and how many scenarios exercise each clause."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from refundable.policy.checks import citations
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.scenarios import ScenarioResult


@dataclass(frozen=True, slots=True)
class ClauseCoverage:
    clause: str
    title: str
    status: str  # implemented | informational | uncovered
    enforced_by: tuple[str, ...]
    reason: str | None
    scenarios: int


def coverage(policy: CompiledPolicy, results: list[ScenarioResult]) -> list[ClauseCoverage]:
    doc = policy.document
    by_clause: dict[str, list[str]] = {}
    for clause, loc in citations(doc):
        by_clause.setdefault(clause, []).append(_describe(doc, loc))
    hits = Counter(
        c
        for r in results
        if r.decision is not None and r.decision.policy == policy.id
        for c in r.clauses
    )
    rows = []
    for c in doc.clauses:
        enforced = tuple(dict.fromkeys(by_clause.get(c.id, []) + list(c.implemented_by)))
        status = "implemented" if enforced else "informational" if c.informational else "uncovered"
        rows.append(ClauseCoverage(c.id, c.title, status, enforced, c.informational, hits[c.id]))
    return rows


def _describe(doc: object, loc: tuple[object, ...]) -> str:
    if loc[0] == "rules":
        rule = doc.rules[loc[1]]  # type: ignore[attr-defined]
        return f"rule {rule.id}"
    return ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
