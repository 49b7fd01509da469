"""A decision's trace as JSON rows, rendering per request only what depends on the request.

Every step of a trace carries two sentences: ``why`` (technical, with fact paths:
``TraceStep.why``) and ``text`` (plain: ``wording.narrate``), and a JSON decision has a step
for every rule of the policy. Most of that text belongs to the policy, not the request: the
rules after the deciding one say one constant, the rule that applied says another, and a rule
whose condition failed says what the condition asks. Only what the request *had* differs
between requests, and it depends on the few facts the condition reads.

So each step a compiled policy owns is prepared once (:class:`TraceTexts`, one per compiled
policy, built on its first rendered decision): a constant row to copy, or the getters of the
facts its sentences read. Per request such a step reads those facts and renders its two
sentences only for a combination of values it has not met, remembered in a small bounded memo
per step. The key is the *exact* values (``Decimal("899")`` and ``Decimal("899.00")`` are
equal numbers but print differently, so they are two keys), and the sentences are rendered by
the very functions ``why`` and ``narrate`` use. A step built per request (a rule asking for
information) is rendered each time, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from refundable.policy import labels as lb
from refundable.policy.compiled import CompiledPolicy, CompiledRule
from refundable.policy.cond import Cond
from refundable.policy.decision import TraceStep
from refundable.policy.factpaths import FACTS
from refundable.policy.facts import Request
from refundable.policy.moneycond import CURRENCY_PATH
from refundable.policy.plain import fact_paths
from refundable.policy.wording import constant_texts, narrate, raw_condition

Row = dict[str, Any]
Read = Callable[[Request], Any]

# Distinct combinations of fact values remembered per step; cleared when full, so memory is
# bounded whatever the traffic (a miss costs only the rendering it would have cost anyway).
MEMO_MAX = 512

# Types whose equal values always print the same: they are their own key.
_PLAIN = frozenset({str, int, bool, type(None)})


def exact(value: Any) -> Any:
    """``value`` as a memo key that separates whatever prints differently: a Decimal keeps its
    exponent ("899" vs "899.00"), an instant its UTC offset (one instant, two wall times)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Decimal:
        return (Decimal, str(value))
    if kind is datetime:
        return (value, value.utcoffset())
    return (kind, repr(value))


def _rates(r: Request) -> Any:
    """The request's exchange rates (read by a money threshold across currencies)."""
    fx = r.fx
    return tuple((pair, str(rate)) for pair, rate in fx.items()) if fx else ()


def reads_of(raw: Any, converts: bool) -> tuple[Read, ...] | None:
    """The getters of every fact a condition's sentences read: the facts it names (derived
    facts through their own getters), the currency of each money fact, and the exchange rates
    when it converts money. None if a fact is unknown: that step goes without a memo."""
    paths: dict[str, None] = {}
    for path in fact_paths(raw):
        paths[path] = None
        currency = lb.label(path).currency_of or CURRENCY_PATH.get(path)
        if currency is not None:
            paths[currency] = None
    if any(p not in FACTS for p in paths):
        return None
    getters = tuple(FACTS[p].get for p in paths)
    return (*getters, _rates) if converts else getters


def render(policy: CompiledPolicy, r: Request, step: TraceStep) -> tuple[str, str]:
    """The step's two sentences rendered now: what ``Decision.why`` and ``narrate`` say."""
    return step.why(r), narrate(policy, r, step)


class _Memo:
    """The sentences of one step whose condition failed, by the exact values they read."""

    __slots__ = ("policy", "reads", "status", "step", "texts")

    def __init__(self, policy: CompiledPolicy, step: TraceStep, reads: tuple[Read, ...]) -> None:
        self.policy = policy
        self.step = step
        self.status = step.status.value
        self.reads = reads
        self.texts: dict[Any, tuple[str, str]] = {}

    def row(self, r: Request) -> Row:
        key = tuple([exact(read(r)) for read in self.reads])
        texts = self.texts.get(key)
        if texts is None:
            texts = render(self.policy, r, self.step)
            if len(self.texts) >= MEMO_MAX:
                self.texts.clear()
            self.texts[key] = texts
        s = self.step
        return {"rule": s.rule, "clause": s.clause, "status": self.status,
                "why": texts[0], "text": texts[1]}  # fmt: skip


class TraceTexts:
    """The trace rows of one compiled policy version (``CompiledPolicy.trace_texts``)."""

    def __init__(self, policy: CompiledPolicy) -> None:
        # Steps are found by id: the policy holds every step registered here, and this object
        # holds the policy, so no other object can take one of their ids meanwhile.
        self.policy = policy
        self._constant: dict[int, Row] = {}
        self._memos: dict[int, _Memo] = {}
        for rule in policy.rules:
            for step in (rule.applied, rule.not_reached):
                if step is not None:
                    self._constant[id(step)] = _row(step, *constant_texts(step))
            for step in (*rule.not_applicable, *rule.requirement_failed, rule.outside_window):
                if step is not None and step.cond is not None:
                    self._prepare(rule, step, step.cond)

    def _prepare(self, rule: CompiledRule, step: TraceStep, cond: Cond) -> None:
        raw = raw_condition(self.policy, rule, cond)
        reads = reads_of(raw, cond.converts) if raw is not None else None
        if reads is not None:  # else rendered per request, like a step built per request
            self._memos[id(step)] = _Memo(self.policy, step, reads)

    def rows(self, r: Request, trace: tuple[TraceStep, ...]) -> list[Row]:
        """Each step as ``{"rule", "clause", "status", "why", "text"}`` for this request."""
        constant, memos = self._constant, self._memos
        out: list[Row] = []
        for s in trace:
            key = id(s)
            row = constant.get(key)
            if row is not None:
                out.append(row.copy())  # a copy: the caller owns what it is given
                continue
            memo = memos.get(key)
            out.append(memo.row(r) if memo is not None else _row(s, *render(self.policy, r, s)))
        return out


def _row(s: TraceStep, why: str, text: str) -> Row:
    return {"rule": s.rule, "clause": s.clause, "status": s.status.value, "why": why, "text": text}
