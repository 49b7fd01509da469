"""A policy version compiled for deciding: closures and resolved values, nothing to re-read.

The loader builds these once per policy file; :func:`refundable.policy.engine.decide` only
reads them. Keeping the document beside the compiled form lets coverage, explanation and
the JSON Schema speak in the document's own terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from refundable.core.money import Rounding
from refundable.core.time import BusinessCalendar
from refundable.policy.amounts import AmountSpec, CompiledFee
from refundable.policy.conditions import Cond
from refundable.policy.document import DayCount, PolicyDocument, Then
from refundable.policy.factpaths import Getter


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


@dataclass(frozen=True, slots=True)
class Requirement:
    cond: Cond
    clause: str
    explain: str | None


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


@dataclass(frozen=True, slots=True)
class Window:
    cond: Cond
    clause: str
    text: str


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

    def title(self, clause: str) -> str:
        return self.clause_titles.get(clause, "")

    def cite(self, clause: str) -> str:
        title = self.title(clause)
        return f"clause {clause} ({title})" if title else f"clause {clause}"
