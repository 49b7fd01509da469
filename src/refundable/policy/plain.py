"""Conditions in plain words: what a condition asks, and what the request actually had.

The compiled :class:`~refundable.policy.cond.Cond` keeps a technical sentence with fact paths
(``requested_at within 30 days of charge.charged_at``) for policy authors and the JSON trace.
A customer needs "your request came 31 days after the charge of 1 March 2026; the policy
allows 30". This module renders that from the condition as the document wrote it (the small
grammar of :mod:`refundable.policy.conditions`, already validated by the loader), with the
labels of :mod:`refundable.policy.labels`, only when an explanation is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from refundable.core.time import BusinessCalendar, calendar_days_between
from refundable.policy import labels as lb
from refundable.policy.factpaths import FACTS
from refundable.policy.facts import Request

_COMPARE = {"gt": "more than", "gte": "at least", "lt": "less than", "lte": "at most"}
_SPANS = {("incident.started_at", "incident.ended_at"): "the incident"}
# A gap between two instants of one thing, said the way people say it ({gap}, {start}).
_GAPS = {
    (
        "incident.started_at",
        "incident.ended_at",
    ): "the incident ended {gap} after it began on {start}"
}
_UNITS = {"days": "day", "hours": "hour", "business_days": "business day"}


@dataclass(frozen=True, slots=True)
class Phrasing:
    """What rendering needs from the policy: its calendar (zone and business days), its
    parameters and its currency."""

    calendar: BusinessCalendar
    params: Mapping[str, Decimal]
    currency: str


@dataclass(frozen=True, slots=True)
class Finding:
    """What the request had (``found``) and, for a time limit, what the policy allows
    (``limit``, said only when the policy's own sentence does not already say it)."""

    found: str
    limit: str | None = None
    # A yes/no fact only restates the requirement it failed ("the request was not made in
    # writing"): said when the policy gave no sentence of its own, left out when it did.
    flag: bool = False


# --- what a condition asks ---------------------------------------------------------------------


def statement(raw: Mapping[str, Any], ph: Phrasing) -> str:
    """The condition as a plain sentence ("the reason for the request is a duplicate charge");
    parts that hold alternatives are set apart with semicolons so "or" never swallows "and"."""
    parts = [key_statement(k, v, ph) for k, v in raw.items()]
    if len(parts) > 1 and any(" or " in p for p in parts):
        return "; ".join(parts[:-1]) + "; and " + parts[-1]
    return lb.words(parts)


def key_statement(key: str, value: Any, ph: Phrasing, negated: bool = False) -> str:
    if key == "all":
        return lb.words([statement(c, ph) for c in value])
    if key == "any":
        said = [statement(c, ph) for c in value]
        shown = [f"({s})" if " and " in s else s for s in said]
        return "either " + lb.words(shown, "or") if len(shown) > 1 else shown[0]
    if key == "not":
        if len(value) == 1:
            ((k, v),) = value.items()
            return key_statement(k, v, ph, negated=not negated)
        return f"it is not so that {statement(value, ph)}"
    if key == "within":
        return _within_statement(value, ph, negated)
    if key == "exceeds":
        return _exceeds_statement(value, ph, negated)
    return _fact_statement(key, value, ph, negated)


def _operation(value: Any) -> tuple[str, Any]:
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.items()))
    if isinstance(value, list):
        return "in", value
    return "eq", value


def _fact_statement(path: str, value: Any, ph: Phrasing, negated: bool) -> str:
    lab = lb.label(path)
    op, operand = _operation(value)
    if op == "present":
        given = bool(operand) is not negated
        return f"{lab.noun} is {'given' if given else 'not given'}"
    if lab.unit is lb.Unit.flag and op in ("eq", "ne"):
        yes = (bool(operand) is (op == "eq")) is not negated
        return lab.yes if yes else lab.no
    if op in ("in", "not_in"):
        shown = lb.words([_value(path, v, ph) for v in operand], "or")
        return lab.said(shown, positive=(op == "in") is not negated)
    if op in _COMPARE:
        compare = _COMPARE[op]
        return f"{lab.noun} is {'not ' if negated else ''}{compare} {_value(path, operand, ph)}"
    positive = (op in ("eq", "contains")) is not negated
    return lab.said(_value(path, operand, ph), positive=positive)


def _value(path: str, v: Any, ph: Phrasing) -> str:
    """A literal of a condition, shown in the fact's own unit."""
    lab = lb.label(path)
    if isinstance(v, dict) and set(v) == {"amount", "currency"}:
        return lb.money(Decimal(str(v["amount"])), str(v["currency"]))
    if lab.unit is lb.Unit.money:
        amount = Decimal(str(v))
        return "zero" if amount == 0 else lb.money(amount, ph.currency)
    if lab.unit is lb.Unit.percent:
        return lb.percent(Decimal(str(v)))
    if lab.unit is lb.Unit.hours:
        return lb.plural(Decimal(str(v)), "hour")
    if lab.unit is lb.Unit.number:
        return lb.number(int(v))
    return lb.value_label(path, v)


def _number(v: Any, ph: Phrasing) -> Decimal:
    if isinstance(v, dict) and "param" in v:
        return ph.params.get(str(v["param"]), Decimal(0))
    return Decimal(str(v))


def _span(raw: Mapping[str, Any], ph: Phrasing) -> tuple[str, Decimal]:
    unit = next(u for u in _UNITS if u in raw)
    return unit, _number(raw[unit], ph)


def _within_statement(raw: Mapping[str, Any], ph: Phrasing, negated: bool) -> str:
    unit, n = _span(raw, ph)
    start = lb.label(str(raw["of"])).noun
    end = lb.label(str(raw.get("at", "requested_at"))).noun
    if negated:
        return f"{end} came more than {lb.plural(n, _UNITS[unit])} after {start}"
    return f"{end} came within {lb.plural(n, _UNITS[unit])} of {start}"


def _span_noun(raw: Mapping[str, Any]) -> str:
    pair = (str(raw["from"]), str(raw["to"]))
    if pair in _SPANS:
        return _SPANS[pair]
    return f"the time from {lb.label(pair[0]).noun} to {lb.label(pair[1]).noun}"


def _exceeds_statement(raw: Mapping[str, Any], ph: Phrasing, negated: bool) -> str:
    unit, n = _span(raw, ph)
    how = "no more than" if negated else "more than"
    return f"{_span_noun(raw)} lasted {how} {lb.plural(n, _UNITS[unit])}"


# --- what the request had -----------------------------------------------------------------------


def findings(raw: Mapping[str, Any], r: Request, ph: Phrasing) -> list[Finding]:
    """What the request had for each part of the condition, in the condition's order, each
    fact once."""
    found = (f for k, v in raw.items() for f in _key_findings(k, v, r, ph, False))
    return list(dict.fromkeys(found))


def _key_findings(
    key: str, value: Any, r: Request, ph: Phrasing, negated: bool
) -> Iterator[Finding]:
    if key in ("all", "any"):
        for item in value:
            yield from findings(item, r, ph)
    elif key == "not":
        for k, v in value.items():
            yield from _key_findings(k, v, r, ph, not negated)
    elif key == "within":
        yield _within_finding(value, r, ph, negated)
    elif key == "exceeds":
        yield _exceeds_finding(value, r, ph, negated)
    else:
        flag = lb.label(key).unit is lb.Unit.flag and _fact_value(key, r) is not None
        yield Finding(fact_finding(key, r, ph), flag=flag)


def _fact_value(path: str, r: Request) -> Any:
    fact = FACTS.get(path)
    return fact.get(r) if fact is not None else None


def fact_finding(path: str, r: Request, ph: Phrasing) -> str:
    """What the request says about one fact ("the sign-up came through a reseller")."""
    lab = lb.label(path)
    fact = FACTS.get(path)
    v = fact.get(r) if fact is not None else None
    if lab.unit is lb.Unit.flag:
        if v is None:
            return f"we were not told whether {lab.yes}"
        return lab.yes if v else lab.no
    if v is None or (isinstance(v, tuple | list) and not v):
        return lab.none or f"{lab.noun} was not given"
    if isinstance(v, tuple | list):
        return lab.said(lb.words([lb.value_label(path, x) for x in v]), past=True)
    if lab.unit is lb.Unit.money:
        cur = FACTS[lab.currency_of].get(r) if lab.currency_of in FACTS else None
        return f"{lab.noun} was {lb.money(v, cur or ph.currency)}"
    if lab.unit is lb.Unit.instant:
        return f"{lab.noun} was on {lb.day(v, ph.calendar.zone)}"
    if lab.unit in (lb.Unit.percent, lb.Unit.hours, lb.Unit.number):
        return f"{lab.noun} was {_value(path, v, ph)}"
    return lab.said(lb.value_label(path, v), past=True)


def _dated(path: str, r: Request, ph: Phrasing) -> str:
    lab = lb.label(path)
    at = FACTS[path].get(r)
    return f"{lab.noun} {lab.prep} {lb.day(at, ph.calendar.zone)}"


def _within_finding(raw: Mapping[str, Any], r: Request, ph: Phrasing, negated: bool) -> Finding:
    unit, n = _span(raw, ph)
    start_path, end_path = str(raw["of"]), str(raw.get("at", "requested_at"))
    a, b = FACTS[start_path].get(r), FACTS[end_path].get(r)
    limit = f"{'requires more than' if negated else 'allows'} {lb.number(n)}"
    end = lb.label(end_path).noun
    if a is None or b is None:
        missing = start_path if a is None else end_path
        return Finding(f"the date of {lb.label(missing).noun} was not given")
    if b < a:
        return Finding(f"{end} came before {_dated(start_path, r, ph)}")
    cal = ph.calendar
    if unit == "hours":
        gap = lb.duration(b - a)
    elif unit == "days":
        gap = lb.plural(calendar_days_between(cal.zone, a, b), "day")
    else:
        count = cal.business_days_between(cal.local(a).date(), cal.effective_receipt_day(b))
        gap = lb.plural(count, "business day")
    said = _GAPS.get((start_path, end_path))
    if said is not None:
        return Finding(said.format(gap=gap, start=lb.day(a, cal.zone)), limit)
    return Finding(f"{end} came {gap} after {_dated(start_path, r, ph)}", limit)


def _exceeds_finding(raw: Mapping[str, Any], r: Request, ph: Phrasing, negated: bool) -> Finding:
    _, n = _span(raw, ph)
    a, b = FACTS[str(raw["from"])].get(r), FACTS[str(raw["to"])].get(r)
    noun = _span_noun(raw)
    if a is None or b is None:
        return Finding(f"we were not told when {noun} started and ended")
    limit = f"{'allows at most' if negated else 'requires more than'} {lb.number(n)}"
    return Finding(f"{noun} lasted {lb.duration(b - a)}", limit)


# --- which facts a policy reads ----------------------------------------------------------------


def fact_paths(raw: Any) -> Iterator[str]:
    """Every fact path a raw condition reads (for the test that each one has a label)."""
    if isinstance(raw, list):
        for item in raw:
            yield from fact_paths(item)
        return
    if not isinstance(raw, Mapping):
        return
    for key, value in raw.items():
        if key in ("all", "any", "not"):
            yield from fact_paths(value)
        elif key == "within":
            yield str(value["of"])
            yield str(value.get("at", "requested_at"))
        elif key == "exceeds":
            yield str(value["from"])
            yield str(value["to"])
        else:
            yield key
