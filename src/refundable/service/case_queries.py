"""The read side of refund cases: one case, a customer's cases, the open ones, the events.

Plain data for the CLI, the API and the console; reports (``cases.reports``) are computed
from these. Implemented by the SQL and in-memory stores (``adapters``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from refundable.cases.model import Case, CaseEvent, EventKind
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
        due_since: datetime | None = None,
    ) -> list[Case]:
        """The cases in the order they were received: every one, unless ``limit`` says how
        many; with ``due_since``, only those with a stage deadline at or after it (the
        deadline figures of a window of months)."""
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
        self,
        tenant_id: str,
        case_id: str | None = None,
        since: datetime | None = None,
        kinds: Collection[EventKind] | None = None,
    ) -> list[CaseEvent]:
        """Events in time order: of one case or all, at or after ``since``, of the ``kinds``
        named (all kinds when None)."""
        ...
