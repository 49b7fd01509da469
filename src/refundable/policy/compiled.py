"""A policy version compiled for deciding: closures and resolved values, nothing to re-read.

The loader builds these once per policy file; :func:`refundable.policy.engine.decide` only
reads them. Keeping the document beside the compiled form lets coverage, explanation and
the JSON Schema speak in the document's own terms.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from refundable.core.money import Rounding
from refundable.core.time import UTC, BusinessCalendar
from refundable.policy.amounts import AmountSpec, CompiledFee
from refundable.policy.cond import CompileContext, may_ask
from refundable.policy.conditions import Cond
from refundable.policy.decision import TraceStatus, TraceStep
from refundable.policy.document import DayCount, PolicyDocument, Remedy, Rule, Then
from refundable.policy.factpaths import FACTS, Getter
from refundable.policy.facts import Reason, Request
from refundable.policy.labels import question

if typing.TYPE_CHECKING:
    from refundable.policy.trace_text import TraceTexts


@dataclass(frozen=True, slots=True)
class PromiseSpec:
    """A promise to act within a span: business days, calendar days or hours."""

    unit: str
    n: int
    clause: str

    def deadline(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        if self.unit == "business_days":
            return calendar.business_deadline(start, self.n)
        if self.unit == "hours":
            return start + timedelta(hours=self.n)
        last = calendar.local(start).date() + timedelta(days=self.n)
        return datetime.combine(last, time.max, tzinfo=calendar.zone)

    @property
    def text(self) -> str:
        return f"within {self.n} {self.unit.replace('_', ' ')}"

    @property
    def decision_text(self) -> str:
        return _DECISION_TEXT.get(self) or _DECISION_TEXT.setdefault(
            self, f"a decision {self.text} of the request"
        )

    @property
    def payment_text(self) -> str:
        return _PAYMENT_TEXT.get(self) or _PAYMENT_TEXT.setdefault(
            self, f"payment {self.text} of the decision"
        )


_DECISION_TEXT: dict[PromiseSpec, str] = {}
_PAYMENT_TEXT: dict[PromiseSpec, str] = {}


@dataclass(frozen=True, slots=True)
class Requirement:
    cond: Cond
    clause: str
    explain: str | None


@dataclass(frozen=True, slots=True)
class NeedSpec:
    """A fact the rule asks for when the request lacks it (``needs:`` in the document)."""

    fact: str
    ask: str


def compile_needs(rule: Rule, raw: Any, ctx: CompileContext) -> tuple[NeedSpec, ...]:
    """The rule's needs, each checked against the request vocabulary (file:line if unknown)."""
    out = []
    for need in rule.needs:
        if need.fact != "fx" and need.fact not in FACTS:
            ctx.problem(
                raw,
                "needs",
                f"needs: unknown fact {need.fact!r}",
                "a fact path of the request (e.g. charge.initial_purchase), or fx",
            )
            continue
        if need.fact != "fx" and not can_be_missing(need.fact):
            ctx.problem(
                raw,
                "needs",
                f"needs: {need.fact} always has a value (the request vocabulary gives it a "
                "default), so it can never be missing",
                "a fact the request may leave out, e.g. charge.initial_purchase",
            )
        out.append(NeedSpec(need.fact, need.ask))
    return tuple(out)


def can_be_missing(path: str) -> bool:
    """Whether a request can leave the fact out: some field on its path defaults to None.
    Derived facts (not fields of the request) are taken as possibly missing."""
    model: Any = Request
    for part in path.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return True
        field = fields[part]
        if field.default is None and not field.is_required():
            return True
        model = _model_of(field.annotation)
    return False


def _model_of(annotation: Any) -> Any:
    """The pydantic model behind a field's type (Optional unwrapped), or None."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class FeeChoice:
    """Fees charged together are separate choices; a higher_of choice has several options
    of which only the highest is charged."""

    options: tuple[CompiledFee, ...]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    clause: str
    also_cites: tuple[str, ...]
    description: str
    when: tuple[Cond, ...]
    requires: tuple[Requirement, ...]
    then: Then
    amount: AmountSpec | None
    units: Getter | None
    fees: tuple[FeeChoice, ...]
    payout: PromiseSpec | None
    windowed: bool
    needs: tuple[NeedSpec, ...] = ()
    index: int = 0
    cites: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    alternatives: tuple[Remedy, ...] = ()
    notes: tuple[str, ...] = ()
    # Trace steps are constant per rule and per failing condition: built once here, so a
    # decision's trace costs no allocation.
    not_applicable: tuple[TraceStep, ...] = ()
    applied: TraceStep | None = None
    not_reached: TraceStep | None = None
    requirement_failed: tuple[TraceStep, ...] = ()  # one per requirement, in order
    outside_window: TraceStep | None = None
    # Three-valued evaluation is only run for rules that can ask (declared needs, or money
    # compared across currencies), so the common path stays two-valued.
    needed: frozenset[str] = frozenset()
    asks: bool = False

    def ask(self, item: str) -> str:
        """The plain question for a missing item (a needed fact or an exchange rate)."""
        for need in self.needs:
            if need.fact == item:
                return need.ask
            if need.fact == "fx" and item.startswith("fx:"):
                return f"{need.ask} ({item[3:]})"
        if item.startswith("fx:"):
            return f"the exchange rate {item[3:]} on the day of the charge"
        return question(item)


def with_trace_steps(rule: CompiledRule, index: int, window: Cond | None = None) -> CompiledRule:
    conds = (*rule.when, *(req.cond for req in rule.requires))
    failed = TraceStatus.requirement_failed
    return replace(
        rule,
        index=index,
        needed=frozenset(n.fact for n in rule.needs),
        asks=bool(rule.needs) or any(may_ask(c) for c in conds),
        cites=tuple(dict.fromkeys((rule.clause, *rule.also_cites))),
        factors=tuple(rule.then.factors),
        alternatives=tuple(rule.then.alternatives),
        notes=tuple(rule.then.notes),
        not_applicable=tuple(
            TraceStep(rule.id, rule.clause, TraceStatus.not_applicable, c) for c in rule.when
        ),
        applied=TraceStep(rule.id, rule.clause, TraceStatus.applied),
        not_reached=TraceStep(rule.id, rule.clause, TraceStatus.not_reached),
        requirement_failed=tuple(
            TraceStep(rule.id, rule.clause, failed, req.cond) for req in rule.requires
        ),
        outside_window=(
            TraceStep(rule.id, rule.clause, TraceStatus.outside_window, window)
            if rule.windowed and window is not None
            else None
        ),
    )


def not_reached_after(rules: tuple[CompiledRule, ...]) -> tuple[tuple[TraceStep, ...], ...]:
    return tuple(
        tuple(r.not_reached for r in rules[i + 1 :] if r.not_reached is not None)
        for i in range(len(rules))
    )


def reason_plans(
    rules: tuple[CompiledRule, ...],
) -> dict[str, tuple[CompiledRule | tuple[TraceStep, ...], ...]]:
    """For each reason, the rules in order: those whose ``when`` requires another reason are
    replaced by their precomputed "does not apply" steps (grouped in runs), so deciding
    evaluates only the rules that can match while the trace still lists every rule."""
    plans: dict[str, tuple[CompiledRule | tuple[TraceStep, ...], ...]] = {}
    for reason in REASONS:
        plan: list[CompiledRule | tuple[TraceStep, ...]] = []
        run: list[TraceStep] = []
        for rule in rules:
            blocked = _blocked_by_reason(rule, reason)
            if blocked is not None:
                run.append(blocked)
                continue
            if run:
                plan.append(tuple(run))
                run = []
            plan.append(rule)
        if run:
            plan.append(tuple(run))
        plans[reason] = tuple(plan)
    return plans


def _blocked_by_reason(rule: CompiledRule, reason: str) -> TraceStep | None:
    """The "does not apply" step of the rule's reason condition, if it excludes ``reason``."""
    for i, c in enumerate(rule.when):
        if c.fact == "reason" and c.values is not None and reason not in c.values:
            return rule.not_applicable[i]
    return None


@dataclass(frozen=True, slots=True)
class Window:
    cond: Cond
    clause: str
    text: str


REASONS = tuple(r.value for r in Reason)
_DAWN = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CompiledPolicy:
    id: str
    version: str
    effective_from: date
    document: PolicyDocument
    path: Path | None
    calendar: BusinessCalendar
    rounding: Rounding
    day_count: DayCount
    refund_currency: str | None
    rules: tuple[CompiledRule, ...]
    window: Window | None
    review: PromiseSpec | None
    payout: PromiseSpec | None
    payout_by_method: dict[str, PromiseSpec]
    required_information: tuple[str, ...]
    appeal: str | None
    clause_titles: dict[str, str] = field(default_factory=dict)
    # Local midnight of effective_from: the first instant this version governs.
    starts_at: datetime = _DAWN
    not_reached_after: tuple[tuple[TraceStep, ...], ...] = ()
    plans: dict[str, tuple[CompiledRule | tuple[TraceStep, ...], ...]] = field(default_factory=dict)

    def title(self, clause: str) -> str:
        return self.clause_titles.get(clause, "")

    @cached_property
    def trace_texts(self) -> TraceTexts:
        """The sentences of this version's trace steps, prepared on first use (the policy is
        frozen; the memo lives in the instance's dict, beside the fields)."""
        from refundable.policy.trace_text import TraceTexts  # it imports this module

        return TraceTexts(self)

    def cite(self, clause: str) -> str:
        title = self.title(clause)
        return f"clause {clause} ({title})" if title else f"clause {clause}"
