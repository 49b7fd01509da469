"""What a decision says: outcome, remedy, amounts with their clauses, deadlines, and why.

A Decision is the engine's whole answer, frozen, so that the same request under the same
policy version always yields an equal value. The trace keeps a reference to the compiled
condition that stopped each rule and renders its sentence only when someone asks (JSON, the
CLI table), so deciding stays cheap while every "why" remains available.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from refundable.core.money import FxRate, Money
from refundable.policy.conditions import Cond
from refundable.policy.document import Outcome, Remedy
from refundable.policy.facts import Request

if TYPE_CHECKING:  # compiled.py imports this module (TraceStep)
    from refundable.policy.compiled import CompiledPolicy


@dataclass(frozen=True, slots=True)
class FeeLine:
    id: str
    clause: str
    description: str
    amount: Money
    basis: str


@dataclass(frozen=True, slots=True)
class InformationNeeded:
    """A fact a rule needs and the request lacks (or "fx:BASE/QUOTE" for a rate), with the
    plain question to ask the customer."""

    item: str
    ask: str


@dataclass(frozen=True, slots=True)
class Deadline:
    at: datetime
    clause: str
    promise: str


class TraceStatus(StrEnum):
    """What became of one rule in a decision (one vocabulary: engine, wording, JSON Schema)."""

    applied = "applied"
    not_applicable = "not_applicable"
    requirement_failed = "requirement_failed"
    outside_window = "outside_window"
    not_reached = "not_reached"
    information_needed = "information_needed"


# What the trace says of a rule after the one that decided (its ``why`` and its ``text``).
NOT_CONSIDERED = "not considered: an earlier rule decided"
# Its ``why`` for the rule that applied.
ALL_HELD = "all of its conditions held"


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One rule considered: applied, did not apply (and the condition that failed), or was
    stopped by a requirement or the request window."""

    rule: str
    clause: str
    status: TraceStatus
    cond: Cond | None = None
    note: str | None = None

    def why(self, request: Request) -> str:
        if self.status is TraceStatus.not_reached:
            return NOT_CONSIDERED
        if self.note:
            return self.note
        if self.cond is None:
            return ALL_HELD
        if self.status is TraceStatus.not_applicable:
            return f"does not apply: needs {self.cond.text} ({self.cond.actual(request)})"
        return f"requirement not met: {self.cond.text} ({self.cond.actual(request)})"


@dataclass(frozen=True, slots=True)
class Decision:
    policy: str
    policy_version: str
    outcome: Outcome
    remedy: Remedy
    rule: str | None
    clauses: tuple[str, ...]
    currency: str
    gross: Money
    fees: tuple[FeeLine, ...]
    net: Money
    units: int | None
    decide_by: Deadline | None
    pay_by: Deadline | None
    explain: Callable[[], str] = field(compare=False, repr=False)
    factors: tuple[str, ...] = ()
    alternatives: tuple[Remedy, ...] = ()
    notes: tuple[str, ...] = ()
    required_information: tuple[str, ...] = ()
    appeal: str | None = None
    fx_used: tuple[FxRate, ...] = ()
    information_needed: tuple[InformationNeeded, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    request: Request | None = field(default=None, compare=False, repr=False)
    basis: Callable[[], str] = field(default=lambda: "", compare=False, repr=False)
    # The compiled policy version that decided: the renderers read its timezone and titles.
    policy_ref: CompiledPolicy | None = field(default=None, compare=False, repr=False)
    # The plain sentence of each trace step (policy/wording.py), rendered only when read.
    narrate: Callable[[TraceStep], str] = field(default=lambda s: "", compare=False, repr=False)

    @property
    def amount_basis(self) -> str:
        """How the gross was computed ("ZAR 720.00 x 73h00 / 720h00 (actual_seconds)")."""
        return self.basis()

    @property
    def explanation(self) -> str:
        """The sentence an agent reads to the customer, rendered on demand from the decision's
        own data (outcome, clause, amounts, deadlines) so deciding stays cheap."""
        return self.explain()

    def why(self, step: TraceStep) -> str:
        if self.request is None:  # read back from storage: the sentence it stored
            return step.note or ""
        return step.why(self.request)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """The decision a stored ``to_dict()`` describes (see ``policy.decision_json``)."""
        from refundable.policy.decision_json import decision_from_dict  # imports this module

        return decision_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The full decision as JSON-ready data (the `--json` form and the API body)."""
        return {
            "policy": self.policy,
            "policy_version": self.policy_version,
            "outcome": self.outcome.value,
            "remedy": self.remedy.value,
            "rule": self.rule,
            "clauses": list(self.clauses),
            "currency": self.currency,
            "gross": str(self.gross.amount),
            "fees": [
                {
                    "id": f.id,
                    "clause": f.clause,
                    "description": f.description,
                    "amount": str(f.amount.amount),
                    "basis": f.basis,
                }
                for f in self.fees
            ],
            "net": str(self.net.amount),
            "amount_basis": self.amount_basis,
            "units": self.units,
            "deadlines": {
                "decide_by": self.decide_by.at.isoformat() if self.decide_by else None,
                "pay_by": self.pay_by.at.isoformat() if self.pay_by else None,
                "basis": {"decide_by": _deadline(self.decide_by), "pay_by": _deadline(self.pay_by)},
            },
            "explanation": self.explanation,
            "factors": list(self.factors),
            "alternatives": [a.value for a in self.alternatives],
            "notes": list(self.notes),
            "required_information": list(self.required_information),
            "information_needed": [{"item": i.item, "ask": i.ask} for i in self.information_needed],
            "appeal": self.appeal,
            "fx": [{"pair": r.pair, "rate": str(r.rate), "source": r.source} for r in self.fx_used],
            "trace": self._trace(),
        }

    def _trace(self) -> list[dict[str, Any]]:
        # A decision just made renders through its policy's prepared trace sentences
        # (policy/trace_text.py: the same sentences as ``why`` and ``narrate``, rendered only
        # in the parts that depend on the request); the trace was half of a preview's CPU.
        if self.request is not None and self.policy_ref is not None:
            return self.policy_ref.trace_texts.rows(self.request, self.trace)
        return [self._step(s) for s in self.trace]

    def _step(self, s: TraceStep) -> dict[str, Any]:
        return {
            "rule": s.rule,
            "clause": s.clause,
            "status": s.status.value,
            "why": self.why(s),
            "text": self.narrate(s),
        }


def _deadline(d: Deadline | None) -> dict[str, str] | None:
    if d is None:
        return None
    return {"clause": d.clause, "promise": d.promise}
