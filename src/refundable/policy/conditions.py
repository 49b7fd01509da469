"""Conditions: from the mappings a business writes to closures the engine calls.

A condition in a policy file is a small mapping (``reason: duplicate_charge``,
``within: {days: 30, of: charge.charged_at}``); this module checks it against the request
vocabulary (unknown facts, values outside an enumeration, missing parameters are problems with
file:line) and compiles it once into a :class:`Cond`: a test function plus a sentence that
says what it requires, and a function that says what the request actually had. Deciding then
costs a few attribute reads per rule, never a re-interpretation of the document. Time windows
live in :mod:`refundable.policy.timewindows`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from enum import Enum
from typing import Any

from refundable.core.limits import echo
from refundable.core.money import to_decimal
from refundable.policy.cond import CompileContext, Cond, never
from refundable.policy.factpaths import FACTS, Fact
from refundable.policy.facts import Request
from refundable.policy.moneycond import MONEY_OPS as _MONEY_OPS
from refundable.policy.moneycond import money_compare
from refundable.policy.shapes import nearest
from refundable.policy.timewindows import time_condition

__all__ = ["CompileContext", "Cond", "compile_condition", "leaves"]

_COMBINATORS = ("all", "any", "not")
_TIME_KEYS = ("within", "exceeds")
_OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "present", "contains")
_ALLOWED_KEYS = "a fact path (e.g. reason, charge.kind), within, exceeds, all, any, not"


def compile_condition(raw: Any, ctx: CompileContext, owner: Any = None, key: Any = None) -> Cond:
    """Compile a condition mapping (all keys must hold) into one Cond."""
    if not isinstance(raw, dict) or not raw:
        ctx.problem(owner, key, "a condition must be a non-empty mapping", _ALLOWED_KEYS)
        return never("invalid condition")
    parts = [_compile_key(raw, k, ctx) for k in raw]
    return parts[0] if len(parts) == 1 else _all(parts)


def leaves(raw: dict[str, Any], ctx: CompileContext) -> list[Cond]:
    """The top-level keys of a condition as separate Conds, so a trace can name the first
    one that failed."""
    return [_compile_key(raw, k, ctx) for k in raw]


def _compile_key(raw: dict[str, Any], key: str, ctx: CompileContext) -> Cond:
    value = raw[key]
    if key in _COMBINATORS:
        return _combinator(raw, key, value, ctx)
    if key in _TIME_KEYS:
        return time_condition(raw, key, value, ctx)
    fact = FACTS.get(key)
    if fact is None:
        close = nearest(key, [*FACTS, *_COMBINATORS, *_TIME_KEYS])  # say what was meant
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        ctx.problem(raw, key, f"unknown fact or condition {echo(key)}{hint}", _ALLOWED_KEYS)
        return never(f"unknown {key}")
    return _fact_condition(raw, key, fact, value, ctx)


def _combinator(raw: dict[str, Any], key: str, value: Any, ctx: CompileContext) -> Cond:
    if key == "not":
        inner = compile_condition(value, ctx, raw, key)
        return Cond(
            lambda r: not inner.test(r),
            f"not ({inner.text})",
            inner.actual,
            op="not",
            parts=(inner,),
        )
    if not isinstance(value, list) or not value:
        ctx.problem(raw, key, f"{key} takes a non-empty list of conditions", "[{...}, {...}]")
        return never(key)
    items = [compile_condition(item, ctx, raw, key) for item in value]
    return _all(items) if key == "all" else _any(items)


def _all(items: list[Cond]) -> Cond:
    tests = tuple(c.test for c in items)

    def actual(r: Request) -> str:
        return "; ".join(c.actual(r) for c in items if not c.test(r))

    def test(r: Request) -> bool:
        # A plain loop: all() over a generator costs a frame per call on the hot path.
        for t in tests:  # noqa: SIM110
            if not t(r):
                return False
        return True

    return Cond(test, " and ".join(c.text for c in items), actual, op="all", parts=tuple(items))


def _any(items: list[Cond]) -> Cond:
    tests = tuple(c.test for c in items)

    def actual(r: Request) -> str:
        return "; ".join(c.actual(r) for c in items)

    def test(r: Request) -> bool:
        for t in tests:  # noqa: SIM110
            if t(r):
                return True
        return False

    shown = (f"({c.text})" if " and " in c.text else c.text for c in items)
    text = "(" + " or ".join(shown) + ")"
    return Cond(test, text, actual, op="any", parts=tuple(items))


# --- fact comparisons -------------------------------------------------------------------------


def _fact_condition(
    raw: dict[str, Any], key: str, fact: Fact, value: Any, ctx: CompileContext
) -> Cond:
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in _OPERATORS:
            ctx.problem(raw, key, f"{key}: expected one operator", ", ".join(_OPERATORS))
            return never(key)
        op, operand = next(iter(value.items()))
    elif isinstance(value, list):
        op, operand = "in", value
    else:
        op, operand = "eq", value
    cond = _operator(raw, key, fact, op, operand, ctx)
    if cond.missing is not None:
        return cond
    get = fact.get
    return replace(cond, missing=lambda r: (key,) if get(r) is None else ())


def _operator(
    raw: dict[str, Any], key: str, fact: Fact, op: str, operand: Any, ctx: CompileContext
) -> Cond:
    get = fact.get
    actual = _show_actual(fact)
    if op == "present":
        want = bool(operand)
        return Cond(
            lambda r: (get(r) is not None) is want,
            f"{key} is {'given' if want else 'absent'}",
            actual,
        )
    if op == "contains":
        item = _literal(raw, key, fact, operand, ctx, element=True)
        return Cond(lambda r: item in (get(r) or ()), f"{key} includes {item}", actual)
    if op in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            ctx.problem(raw, key, f"{key}: {op} takes a non-empty list", "[value, ...]")
            return never(key)
        values = frozenset(_literal(raw, key, fact, v, ctx) for v in operand)
        shown = ", ".join(sorted(str(v) for v in values))
        if op == "in":
            text = f"{key} is one of {shown}"
            return Cond(lambda r: get(r) in values, text, actual, key, values)
        return Cond(lambda r: get(r) not in values, f"{key} is none of {shown}", actual)
    if isinstance(operand, dict) and op in _MONEY_OPS:
        return money_compare(raw, key, fact, op, operand, ctx)
    literal = _literal(raw, key, fact, operand, ctx)
    return _compare(key, get, op, literal, actual, fact, raw, ctx)


def _compare(
    key: str,
    get: Callable[[Request], Any],
    op: str,
    literal: Any,
    actual: Callable[[Request], str],
    fact: Fact,
    raw: dict[str, Any],
    ctx: CompileContext,
) -> Cond:
    shown = str(literal).lower() if isinstance(literal, bool) else literal
    if op == "eq":
        text = f"{key} is {shown}"
        return Cond(lambda r: get(r) == literal, text, actual, key, frozenset([literal]))
    if op == "ne":
        return Cond(lambda r: get(r) != literal, f"{key} is not {shown}", actual)
    if fact.kind not in ("amount", "int"):
        ctx.problem(
            raw, key, f"{key} is not a number; {op} needs one", "eq, ne, in, not_in, present"
        )
        return never(key)
    symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
    cmp: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    fn = cmp[op]

    def test(r: Request) -> bool:
        v = get(r)
        return v is not None and fn(v, literal)

    return Cond(test, f"{key} {symbol} {literal}", actual)


def _literal(
    raw: dict[str, Any],
    key: str,
    fact: Fact,
    value: Any,
    ctx: CompileContext,
    element: bool = False,
) -> Any:
    """Check a literal against the fact's type and return it in the fact's representation."""
    if fact.choices is not None:
        if value not in fact.choices:
            ctx.problem(
                raw, key, f"{value!r} is not a value of {key}", ", ".join(sorted(fact.choices))
            )
        return value
    kind = "str" if element else fact.kind
    if kind in ("amount",):
        try:
            return to_decimal(value, key)
        except ValueError as error:
            ctx.problem(raw, key, str(error), 'a decimal string such as "1000000"')
            return Decimal(0)
    if kind == "bool" and not isinstance(value, bool):
        ctx.problem(raw, key, f"{key} is true or false, not {value!r}", "true, false")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        ctx.problem(raw, key, f"{key} is a whole number, not {value!r}", "an integer")
    return value


def _show_actual(fact: Fact) -> Callable[[Request], str]:
    def show(r: Request) -> str:
        v = fact.get(r)
        if isinstance(v, Enum):
            v = v.value
        if isinstance(v, tuple | list):
            v = ", ".join(map(str, v)) or "empty"
        return f"{fact.path} was {'not given' if v is None else v}"

    return show
