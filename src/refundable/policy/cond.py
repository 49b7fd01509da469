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
