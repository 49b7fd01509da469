"""The compiled form of a condition and the context it is compiled in (shared by the fact
and time condition compilers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from refundable.core.errors import Problem
from refundable.core.time import BusinessCalendar
from refundable.policy.facts import Request
from refundable.policy.yamlsource import LineDict

Test = Callable[[Request], bool]


@dataclass(frozen=True, slots=True)
class Cond:
    """One compiled condition: ``test`` decides, ``text`` says what is required, ``actual``
    says what the request had (used only when a trace is rendered)."""

    test: Test
    text: str
    actual: Callable[[Request], str]
    # For "<fact> is one of {values}": lets the compiler index rules by that fact (reason).
    fact: str | None = None
    values: frozenset[Any] | None = None
    # Three-valued evaluation (a fact the rule ``needs`` may be unknown): ``op`` is "leaf",
    # "all", "any" or "not"; a leaf's ``missing`` names what it reads that the request lacks
    # (fact paths, or "fx:BASE/QUOTE" for an exchange rate).
    op: str = "leaf"
    parts: tuple[Cond, ...] = ()
    missing: Callable[[Request], tuple[str, ...]] | None = None
    converts: bool = False  # compares money across currencies: may need an exchange rate


class _Every(frozenset[str]):
    """Every fact counts as needed: where an absent fact would turn a request down (a
    requirement, the request window, or a better rule passed over before a denial), it is
    asked for whatever the rule declares (ADR 0082)."""

    def __contains__(self, item: object) -> bool:
        return True


EVERY: frozenset[str] = _Every()


def is_needed(item: str, needed: frozenset[str]) -> bool:
    """Whether a missing item is one the rule asks for: a fact it declares in ``needs``, or an
    exchange rate (a money comparison across currencies cannot be answered without one)."""
    return item in needed or item.startswith("fx:")


def truth3(cond: Cond, r: Request, needed: frozenset[str]) -> bool | None:
    """Kleene evaluation: None when the answer depends on a needed fact the request lacks.

    Only facts a rule declares in ``needs`` count as unknown; any other absent fact keeps its
    two-valued meaning (a condition on it does not hold), so a rule asks only for what it says
    it needs.
    """
    if cond.op == "leaf":
        if cond.missing is not None and any(is_needed(m, needed) for m in cond.missing(r)):
            return None
        return cond.test(r)
    if cond.op == "not":
        inner = truth3(cond.parts[0], r, needed)
        return None if inner is None else not inner
    values = [truth3(p, r, needed) for p in cond.parts]
    decisive = cond.op == "any"  # any: one True decides; all: one False decides
    if decisive in values:
        return decisive
    if None in values:
        return None
    return not decisive


def missing_items(cond: Cond, r: Request, needed: frozenset[str]) -> tuple[str, ...]:
    """The needed items the condition reads and the request lacks, in reading order."""
    if cond.op != "leaf":
        return tuple(dict.fromkeys(m for p in cond.parts for m in missing_items(p, r, needed)))
    if cond.missing is None:
        return ()
    return tuple(m for m in cond.missing(r) if is_needed(m, needed))


@dataclass
class CompileContext:
    file: str
    calendar: BusinessCalendar
    params: dict[str, Decimal]
    problems: list[Problem]

    def problem(self, node: Any, key: Any, message: str, allowed: str | None = None) -> None:
        line = node.line_of(key) if isinstance(node, LineDict) else getattr(node, "line", None)
        self.problems.append(Problem(self.file, line, message, allowed))


def never(text: str) -> Cond:
    return Cond(lambda r: False, text, lambda r: "invalid")


def may_ask(cond: Cond) -> bool:
    """Whether the condition can be unknown without any declared need (it converts money)."""
    return cond.converts or any(may_ask(p) for p in cond.parts)
