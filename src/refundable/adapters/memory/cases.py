"""Refund cases in memory (the service tests' store): the same contract as the SQL one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from refundable.cases.model import Case, CaseEvent, EventKind
from refundable.core.errors import InvariantBroken
from refundable.ledger.entries import JournalEntry
from refundable.service.resources import Page, page_of

from .repositories import _insert, _Repo
from .tables import MemoryStore


class MemCases(_Repo):
    def add(self, case: Case) -> None:
        if case.is_open and self.open_with(case.open_key) is not None:
            raise InvariantBroken(f"open case key {case.open_key!r} inserted twice")
        _insert(self.t.cases, self.k(case.case_id), case, "case")

    def lock(self, case_id: str) -> Case | None:
        return self.t.cases.get(self.k(case_id))

    def save(self, case: Case) -> None:
        self.t.cases[self.k(case.case_id)] = case

    def open_with(self, open_key: str) -> str | None:
        return next(
            (c.case_id for (t, _), c in self.t.cases.items()
             if t == self.tenant_id and c.is_open and c.open_key == open_key),
            None,
        )  # fmt: skip

    def add_events(self, events: Sequence[CaseEvent]) -> None:
        for e in events:
            _insert(self.t.case_events, (e.tenant_id, e.case_id, e.seq), e, "case event")

    def events(self, case_id: str) -> list[CaseEvent]:
        found = [e for (t, c, _), e in self.t.case_events.items()
                 if t == self.tenant_id and c == case_id]  # fmt: skip
        return sorted(found, key=lambda e: e.seq)

    def of_customer(self, customer_id: str) -> list[Case]:
        found = [c for (t, _), c in self.t.cases.items()
                 if t == self.tenant_id and c.customer_id == customer_id]  # fmt: skip
        return sorted(found, key=lambda c: (c.received_at, c.case_id))

    def entry_by_ref(self, kind: str, ref: str) -> JournalEntry | None:
        return next(
            (e for (t, _), (_, e) in self.t.entries.items()
             if t == self.tenant_id and e.kind.value == kind and e.ref == ref),
            None,
        )  # fmt: skip

    def chargebacks_of(self, customer_id: str) -> int:
        return sum(
            -1 if r.amount.amount < 0 else 1 for (t, kind, _), r in self.t.returns.items()
            if t == self.tenant_id and kind == "chargeback"
            and self.t.payments[(t, r.payment_id)].customer_id == customer_id
        )  # fmt: skip


class MemCaseQueries:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def case(self, tenant_id: str, case_id: str) -> Case | None:
        return self.store.tables.cases.get((tenant_id, case_id))

    def cases(
        self, tenant_id: str, *, customer_id: str | None = None, open_only: bool = False,
        limit: int | None = None, due_since: datetime | None = None,
    ) -> list[Case]:  # fmt: skip
        found = [
            c for (t, _), c in self.store.tables.cases.items()
            if t == tenant_id and (customer_id is None or c.customer_id == customer_id)
            and (c.is_open or not open_only)
            and (due_since is None or (c.last_due_at is not None and c.last_due_at >= due_since))
        ]  # fmt: skip
        ordered = sorted(found, key=lambda c: (c.received_at, c.case_id))
        return ordered if limit is None else ordered[:limit]

    def queue(self, tenant_id: str, limit: int) -> tuple[list[Case], int]:
        found = self.cases(tenant_id, open_only=True)
        return sorted(found, key=_by_deadline)[:limit], len(found)

    def page(
        self, tenant_id: str, *, after: str | None, limit: int, customer_id: str | None = None,
        open_only: bool = False,
    ) -> Page[Case]:  # fmt: skip
        found = sorted(
            (c for c in self.cases(tenant_id, customer_id=customer_id, open_only=open_only)
             if after is None or c.case_id > after),
            key=lambda c: c.case_id,
        )  # fmt: skip
        return page_of(found[: limit + 1], limit)

    def events(
        self, tenant_id: str, case_id: str | None = None, since: datetime | None = None,
        kinds: Collection[EventKind] | None = None,
    ) -> list[CaseEvent]:  # fmt: skip
        found = [
            e for (t, c, _), e in self.store.tables.case_events.items()
            if t == tenant_id and (case_id is None or c == case_id)
            and (since is None or e.at >= since) and (kinds is None or e.kind in kinds)
        ]  # fmt: skip
        return sorted(found, key=lambda e: (e.at, e.case_id, e.seq))


def _by_deadline(case: Case) -> tuple[bool, datetime, str]:
    """The queue's order: next deadline first, cases without one last (by receipt), then id."""
    return case.next_due_at is None, case.next_due_at or case.received_at, case.case_id
