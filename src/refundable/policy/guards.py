"""Condition shapes the compiler must never see: found first, reported with lines.

A condition is free-form YAML (``dict[str, Any]`` in the document model), so pydantic cannot
stop a list inside a list (``reason: [[a]]``), a mapping where a value belongs, or a window of
10^12 business days. Compiled as they are, these raise ``TypeError`` or ``OverflowError`` or
make a deadline loop for hours. This walk finds them in the raw data before compiling; a file
with any of them is reported without being compiled (its other problems are already listed).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from refundable.core import limits
from refundable.core.errors import Problem
from refundable.policy.document import SPAN_BOUNDS
from refundable.policy.yamlsource import LineDict

Add = Callable[[Any, Any, str, str], None]
_SCALARS = (str, int, Decimal, bool, type(None))
_LIST_OPERATORS = ("in", "not_in")


def condition_hazards(data: Any, file: str, params: dict[str, Decimal]) -> list[Problem]:
    """Problems in the conditions of ``data`` (a policy mapping) that would crash compiling."""
    found: list[Problem] = []

    def add(node: Any, key: Any, message: str, allowed: str) -> None:
        line = node.line_of(key) if isinstance(node, LineDict) else getattr(node, "line", None)
        found.append(Problem(file, line, message, allowed))

    rules = data.get("rules") if isinstance(data, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        _condition(rule.get("when"), add, params)
        requires = rule.get("requires")
        for item in requires if isinstance(requires, list) else []:
            if isinstance(item, dict):
                _condition(item.get("condition"), add, params)
    return found


def _condition(node: Any, add: Add, params: dict[str, Decimal]) -> None:
    if not isinstance(node, dict):
        return  # the compiler reports "a condition must be a non-empty mapping"
    for key, value in node.items():
        if key in ("all", "any") and isinstance(value, list):
            for item in value:
                _condition(item, add, params)
        elif key == "not":
            _condition(value, add, params)
        elif key in ("within", "exceeds"):
            if isinstance(value, dict):
                _span(value, add, params)
        else:
            _fact_value(node, key, value, add)


def _fact_value(node: Any, key: Any, value: Any, add: Add) -> None:
    name = limits.echo(key)
    if isinstance(value, list):
        _all_scalars(node, key, value, add)
    elif isinstance(value, dict) and len(value) == 1:
        op, operand = next(iter(value.items()))
        if op in _LIST_OPERATORS and isinstance(operand, list):
            _all_scalars(node, key, operand, add)
        elif (
            op not in _LIST_OPERATORS
            and not isinstance(operand, _SCALARS)
            and not _money(op, operand)
        ):
            add(
                node,
                key,
                f"{name}: {limits.echo(op)} takes one value, not a list or mapping",
                "a single value such as subscription, 100 or true",
            )


def _money(op: Any, operand: Any) -> bool:
    """A money threshold in a stated currency (policy/moneycond.py): checked there."""
    return (
        op in ("gt", "gte", "lt", "lte")
        and isinstance(operand, dict)
        and set(operand) == {"amount", "currency"}
        and all(isinstance(v, _SCALARS) for v in operand.values())
    )


def _all_scalars(node: Any, key: Any, items: list[Any], add: Add) -> None:
    if not all(isinstance(item, _SCALARS) for item in items):
        add(
            node,
            key,
            f"{limits.echo(key)}: a list of values may not hold lists or mappings",
            "[value, value, ...] with plain values",
        )


def _span(window: dict[Any, Any], add: Add, params: dict[str, Decimal]) -> None:
    for unit, bound in SPAN_BOUNDS.items():
        if unit not in window:
            continue
        raw = window[unit]
        if isinstance(raw, dict):
            name = raw.get("param") if set(raw) == {"param"} else None
            if not isinstance(name, str):
                add(window, unit, f"{unit} must be a number or {{param: name}}", "a number")
                continue
            if name not in params:
                continue  # the compiler reports the unknown parameter with the known ones
            number, what = params[name], f"parameter {name} = {params[name]} used as {unit}"
        elif isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
            add(window, unit, f"{unit} must be a number, not a list", "a number")
            continue
        else:
            try:
                number, what = Decimal(raw), f"{unit}: {limits.echo(raw)}"
            except (InvalidOperation, ValueError):
                continue  # not a number at all: the compiler says so
        _bounded(window, unit, number, what, bound, add)


def _bounded(window: Any, unit: str, n: Decimal, what: str, bound: int, add: Add) -> None:
    whole = unit == "hours" or (n.is_finite() and n == n.to_integral_value())
    if not n.is_finite() or not 0 <= n <= bound or not whole:
        kind = "a number" if unit == "hours" else "a whole number"
        add(
            window,
            unit,
            f"{what} is outside 0..{bound:,}" + ("" if whole else " or not whole"),
            f"{kind} of {unit} from 0 to {bound:,}",
        )
