"""The read side of refund cases: one case, a customer's cases, the open ones, the events.

Plain data for the CLI, the API and the console; reports (``cases.reports``) are computed
from these. Implemented by the SQL and in-memory stores (``adapters``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from refundable.cases.model import Case, CaseEvent
from refundable.service.resources import Page


class CaseQueries(Protocol):
    def case(self, tenant_id: str, case_id: str) -> Case | None: ...
    def cases(
        self,
        tenant_id: str,
        *,
        customer_id: str | None = None,
        open_only: bool = False,
        limit: int | None = None,
    ) -> list[Case]:
        """The cases in the order they were received: every one, unless ``limit`` says how
        many (reports, the queue and the metrics count them all)."""
        ...

    def queue(self, tenant_id: str, limit: int) -> tuple[list[Case], int]:
        """The first ``limit`` open cases by next deadline (those without one last, by
        receipt), and how many cases are open in all."""
        ...

    def page(
        self,
        tenant_id: str,
        *,
        after: str | None,
        limit: int,
        customer_id: str | None = None,
        open_only: bool = False,
    ) -> Page[Case]:
        """Cases in id order after the case ``after`` (a cursor: the store reads one page, not
        the tenant's whole list)."""
        ...

    def events(
        self, tenant_id: str, case_id: str | None = None, since: datetime | None = None
    ) -> list[CaseEvent]: ...
