"""Refund cases (SQL): the current state of each case, and its append-only events.

The case is kept whole as JSON (``cases.codec``) beside the columns searched by: customer,
state, next deadline, and ``open_key`` (subject and reason while open, NULL once closed).
The unique index on ``open_key`` makes two concurrent intakes for one charge and reason
collide at insert; the loser retries and is then refused with the first case's id.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy import case as when

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db import statements as s
from refundable.adapters.db.engine import READONLY
from refundable.adapters.db.repository import SqlJournal
from refundable.adapters.db.repository_base import SqlBase
from refundable.cases.codec import case_from_dict, case_to_dict
from refundable.cases.model import Case, CaseEvent, CaseState, EventKind
from refundable.core.jsontext import sorted_strict
from refundable.core.time import Clock
from refundable.ledger.entries import JournalEntry
from refundable.service.resources import Page, page_of

_C = t.cases.c
_E = t.case_events.c


def _us(at: datetime | None) -> int | None:
    return None if at is None else rows.to_us(at)


def clock_columns(c: Case) -> dict[str, Any]:
    """The stage clocks' columns (migration 0023, ADR 0080): what the operators' counts and
    the deadline figures read instead of the body."""
    return {
        "next_warn_us": _us(c.next_warn_at),
        "breach_marked": c.breach_marked,
        "last_due_us": _us(c.last_due_at),
    }


def _columns(c: Case) -> dict[str, Any]:
    return {
        "state": c.state.value,
        "open_key": c.open_key if c.is_open else None,
        "next_due_us": _us(c.next_due_at),
        "updated_us": rows.to_us(c.updated_at or c.received_at),
        "body": sorted_strict(case_to_dict(c)),
        **clock_columns(c),
    }


def case_of(r: Any) -> Case:
    return case_from_dict(json.loads(r.body))


def event_of(r: Any) -> CaseEvent:
    return CaseEvent(
        r.tenant_id, r.case_id, r.seq, EventKind(r.kind), CaseState(r.from_state),
        CaseState(r.to_state), r.actor, rows.from_us(r.at_us), json.loads(r.data),
    )  # fmt: skip


class SqlCases(SqlBase):
    """A case added in this unit of work is written once, as the command leaves it: ``add``
    keeps it, the ``save`` that follows inserts it (a new case used to cost an INSERT, then
    an UPDATE rewriting the same JSON body, inside the write transaction). Any read of the
    cases table, and the commit (``flush``), first write what was kept, so every read sees
    it; the unique ``open_key`` still refuses a second open case, at that insert.

    The events of a command are kept the same way and written by ``flush`` in one multi-row
    insert, in the order they were added (an intake records three or four events: one
    statement instead of one each); a read of the events writes them first."""

    def __init__(self, conn: Connection, tenant_id: str, clock: Clock) -> None:
        super().__init__(conn, tenant_id, clock)
        self._new: dict[str, Case] = {}  # added, not written yet
        self._events: list[dict[str, Any]] = []  # event rows added, not written yet

    def add(self, case: Case) -> None:
        self.flush()  # a second new case in one command: the first is written first
        self._new[case.case_id] = case

    def flush(self) -> None:
        """Write the cases and events added and not yet written (the unit of work calls it
        at commit)."""
        while self._new:
            self._insert(self._new.pop(next(iter(self._new))))
        if self._events:
            kept, self._events = self._events, []
            self.db.many(s.ADD_CASE_EVENT, kept)

    def _insert(self, case: Case) -> None:
        self.db.write(
            s.ADD_CASE,
            {
                "tenant_id": self.tenant_id,
                "case_id": case.case_id,
                "customer_id": case.customer_id,
                "subject": case.subject.value,
                "subject_id": case.subject_id,
                "reason": case.reason,
                "received_us": rows.to_us(case.received_at),
                **_columns(case),
            },
        )

    def lock(self, case_id: str) -> Case | None:
        self.flush()
        found = self.db.rows(s.CASE_BODY, {"tenant": self.tenant_id, "case": case_id})
        return case_from_dict(json.loads(found[0][0])) if found else None

    def save(self, case: Case) -> None:
        if self._new.pop(case.case_id, None) is not None:
            self._insert(case)
            return
        values = {f"new_{k}": v for k, v in _columns(case).items()}
        self.db.write(s.SAVE_CASE, {"tenant": self.tenant_id, "case": case.case_id, **values})

    def open_with(self, open_key: str) -> str | None:
        self.flush()
        found = self.db.rows(s.OPEN_CASE_WITH, {"tenant": self.tenant_id, "open_key": open_key})
        return str(found[0][0]) if found else None

    def add_events(self, events: Sequence[CaseEvent]) -> None:
        self._events.extend(
            [
                {
                    "tenant_id": e.tenant_id,
                    "case_id": e.case_id,
                    "seq": e.seq,
                    "kind": e.kind.value,
                    "from_state": e.from_state.value,
                    "to_state": e.to_state.value,
                    "actor": e.actor,
                    "at_us": rows.to_us(e.at),
                    "data": sorted_strict(dict(e.data)),
                }
                for e in events
            ]
        )

    def events(self, case_id: str) -> list[CaseEvent]:
        self.flush()
        stmt = (
            select(t.case_events)
            .where(_E.tenant_id == self.tenant_id, _E.case_id == case_id)
            .order_by(_E.seq)
        )
        return [event_of(r) for r in self.conn.execute(stmt)]

    def of_customer(self, customer_id: str) -> list[Case]:
        self.flush()
        stmt = (
            select(t.cases)
            .where(_C.tenant_id == self.tenant_id, _C.customer_id == customer_id)
            .order_by(_C.received_us, _C.case_id)
        )
        return [case_of(r) for r in self.conn.execute(stmt)]

    def entry_by_ref(self, kind: str, ref: str) -> JournalEntry | None:
        found = self.db.rows(s.ENTRY_BY_REF, {"tenant": self.tenant_id, "ref": ref, "kind": kind})
        if not found:
            return None
        return SqlJournal(self.conn, self.tenant_id, self.clock).get(found[0][0])

    def chargebacks_of(self, customer_id: str) -> int:
        """Chargebacks on the customer's payments, less those a won dispute returned (a
        negative return row each)."""
        r, p = t.payment_returns.c, t.payments.c
        stmt = (
            select(func.sum(when((r.amount_minor < 0, -1), else_=1)))
            .select_from(t.payment_returns.join(
                t.payments, (p.tenant_id == r.tenant_id) & (p.payment_id == r.payment_id)))
            .where(r.tenant_id == self.tenant_id, r.kind == "chargeback",
                   p.customer_id == customer_id)
        )  # fmt: skip
        return int(self.conn.execute(stmt).scalar() or 0)


class SqlCaseQueries:
    """The read side of cases (outside any command's transaction)."""

    def __init__(self, engine: Engine) -> None:
        # Reads: on SQLite a deferred transaction, never the write lock (ADR 0070).
        self.engine = engine.execution_options(**{READONLY: True})

    def case(self, tenant_id: str, case_id: str) -> Case | None:
        stmt = select(t.cases).where(_C.tenant_id == tenant_id, _C.case_id == case_id)
        with self.engine.connect() as conn:
            r = conn.execute(stmt).first()
        return None if r is None else case_of(r)

    def cases(
        self, tenant_id: str, *, customer_id: str | None = None, open_only: bool = False,
        limit: int | None = None, due_since: datetime | None = None,
    ) -> list[Case]:  # fmt: skip
        stmt = select(t.cases).where(_C.tenant_id == tenant_id)
        if customer_id is not None:
            stmt = stmt.where(_C.customer_id == customer_id)
        if open_only:
            stmt = stmt.where(_C.open_key.is_not(None))
        if due_since is not None:
            stmt = stmt.where(_C.last_due_us >= rows.to_us(due_since))
        stmt = stmt.order_by(_C.received_us, _C.case_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [case_of(r) for r in conn.execute(stmt)]

    def queue(self, tenant_id: str, limit: int) -> tuple[list[Case], int]:
        opened = (_C.tenant_id == tenant_id, _C.open_key.is_not(None))
        undated = when((_C.next_due_us.is_(None), 1), else_=0)
        first = func.coalesce(_C.next_due_us, _C.received_us)
        stmt = select(t.cases).where(*opened).order_by(undated, first, _C.case_id).limit(limit)
        with self.engine.connect() as conn:
            found = [case_of(r) for r in conn.execute(stmt)]
            total = conn.execute(select(func.count()).select_from(t.cases).where(*opened))
            return found, int(total.scalar() or 0)

    def page(
        self, tenant_id: str, *, after: str | None, limit: int, customer_id: str | None = None,
        open_only: bool = False,
    ) -> Page[Case]:  # fmt: skip
        stmt = select(t.cases).where(_C.tenant_id == tenant_id)
        if after is not None:
            stmt = stmt.where(_C.case_id > after)
        if customer_id is not None:
            stmt = stmt.where(_C.customer_id == customer_id)
        if open_only:
            stmt = stmt.where(_C.open_key.is_not(None))
        with self.engine.connect() as conn:
            found = [case_of(r) for r in conn.execute(stmt.order_by(_C.case_id).limit(limit + 1))]
        return page_of(found, limit)

    def events(
        self, tenant_id: str, case_id: str | None = None, since: datetime | None = None,
        kinds: Collection[EventKind] | None = None,
    ) -> list[CaseEvent]:  # fmt: skip
        stmt = select(t.case_events).where(_E.tenant_id == tenant_id)
        if case_id is not None:
            stmt = stmt.where(_E.case_id == case_id)
        if since is not None:
            stmt = stmt.where(_E.at_us >= rows.to_us(since))
        if kinds is not None:
            stmt = stmt.where(_E.kind.in_(sorted(k.value for k in kinds)))
        stmt = stmt.order_by(_E.at_us, _E.case_id, _E.seq)
        with self.engine.connect() as conn:
            return [event_of(r) for r in conn.execute(stmt)]
