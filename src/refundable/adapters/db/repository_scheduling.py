"""Scheduled actions, test clocks and the outbox (SQL).

``claim_due`` is how workers divide due work (ADR 0065): one ``SELECT ... ORDER BY due
LIMIT n FOR UPDATE SKIP LOCKED`` on PostgreSQL returns the next due rows *this* transaction
locked, passing over rows other workers hold, so a worker never waits on another and never
gets a row another is running; the locks last until the batch commits, and a committed row is
done, so nobody claims it again. ``lock`` does the same for one named action. On SQLite the
writer lock of ``BEGIN IMMEDIATE`` serialises workers; the state in the row, written in the
transaction that runs the action, is what makes a second run impossible on both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db import statements as s
from refundable.adapters.db.prepared import Prepared
from refundable.adapters.db.repository_base import SqlBase
from refundable.core.jsontext import plain_text, sorted_strict
from refundable.core.time import UTC, Clock, FixedClock
from refundable.scheduling.model import ActionKind, ActionState, ScheduledAction, TestClock
from refundable.service.ports import OutboxMessage

_A = t.scheduled_actions.c
_NO_CLOCK = FixedClock(datetime(1970, 1, 1, tzinfo=UTC))  # reads only: never asked the time

# Prebuilt (ADR 0044): every due action is marked done with it.
_SET = ("state", "attempts", "last_error", "due_us", "done_us")
SAVE = Prepared(
    lambda pg: (
        update(t.scheduled_actions)
        .where(_A.tenant_id == bindparam("tenant"), _A.action_id == bindparam("aid"))
        .values({name: bindparam(name) for name in _SET})
    )
)


def _action(r: Any) -> ScheduledAction:
    return ScheduledAction(
        r.tenant_id, r.action_id, ActionKind(r.kind), r.subject, rows.from_us(r.due_us),
        json.loads(r.payload), ActionState(r.state), r.attempts, r.last_error,
        None if r.done_us is None else rows.from_us(r.done_us),
    )  # fmt: skip


class SqlSchedule(SqlBase):
    def add(self, actions: Sequence[ScheduledAction]) -> None:
        if not actions:
            return
        now = self._now_us()
        self.db.many(
            s.ADD_SCHEDULED,
            [
                {
                    "tenant_id": a.tenant_id,
                    "action_id": a.action_id,
                    "kind": a.kind.value,
                    "subject": a.subject,
                    "due_us": rows.to_us(a.due_at),
                    "payload": sorted_strict(dict(a.payload)),
                    "state": a.state.value,
                    "attempts": a.attempts,
                    "last_error": None,
                    "created_us": now,
                    "done_us": None,
                }
                for a in actions
            ],
        )

    def _one(self, action_id: str) -> Any:
        return select(t.scheduled_actions).where(
            _A.tenant_id == self.tenant_id, _A.action_id == action_id
        )

    def lock(self, action_id: str) -> ScheduledAction | None:
        stmt = self._one(action_id)
        if self.pg:
            stmt = stmt.with_for_update(skip_locked=True)
        r = self.conn.execute(stmt).first()
        return None if r is None else _action(r)

    def claim_due(self, as_of: datetime, limit: int) -> list[ScheduledAction]:
        stmt = (
            select(t.scheduled_actions)
            .where(
                _A.tenant_id == self.tenant_id,
                _A.state == ActionState.pending.value,
                _A.due_us <= rows.to_us(as_of),
            )
            .order_by(_A.due_us, _A.action_id)
            .limit(limit)
        )
        if self.pg:
            stmt = stmt.with_for_update(skip_locked=True)
        return [_action(r) for r in self.conn.execute(stmt)]

    def get(self, action_id: str) -> ScheduledAction | None:
        r = self.conn.execute(self._one(action_id)).first()
        return None if r is None else _action(r)

    def save(self, action: ScheduledAction) -> None:
        self.db.write(
            SAVE,
            {
                "tenant": self.tenant_id,
                "aid": action.action_id,
                "state": action.state.value,
                "attempts": action.attempts,
                "last_error": action.last_error,
                "due_us": rows.to_us(action.due_at),
                "done_us": None if action.done_at is None else rows.to_us(action.done_at),
            },
        )


class SqlOutbox(SqlBase):
    """The outbox rows of a command. With ``keep`` they wait in memory and ``flush`` writes
    them in one multi-row insert, in the order they were added (an intake adds three
    webhooks and two emails: one statement instead of five). Nothing reads the outbox inside
    a command's transaction, so only the commit needs them: whoever passes ``keep`` must call
    ``flush`` before the command's commit (the unit of work), or the rows are lost. Without
    ``keep`` each row is written at once."""

    def __init__(self, conn: Connection, tenant_id: str, clock: Clock, keep: bool = False) -> None:
        super().__init__(conn, tenant_id, clock)
        self._kept: list[dict[str, Any]] | None = [] if keep else None

    def flush(self) -> None:
        """Write the rows kept (a no-op without ``keep``)."""
        if self._kept:
            kept, self._kept = self._kept, []
            self.db.many(s.ADD_OUTBOX, kept)

    def add(self, message: OutboxMessage) -> None:
        row = self._row(message)
        if self._kept is not None:
            self._kept.append(row)
        else:
            self.db.write(s.ADD_OUTBOX, row)

    def _row(self, message: OutboxMessage) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "message_id": message.message_id,
            "kind": message.kind,
            "payload": plain_text(dict(message.payload)),
            "created_us": rows.to_us(message.created_at),
            "sent_us": None,
            # the worker's bookkeeping starts empty (the columns' defaults, written out:
            # a prebuilt insert names every column)
            "state": "pending",
            "attempts": 0,
            "failures": 0,
            "next_us": None,
            "lease_us": None,
            "last_error": None,
        }


class SqlTestClocks(SqlBase):
    def get(self) -> TestClock | None:
        c = t.test_clocks.c
        r = self.conn.execute(select(t.test_clocks).where(c.tenant_id == self.tenant_id)).first()
        if r is None:
            return None
        return TestClock(r.tenant_id, r.clock_id, rows.from_us(r.frozen_us),
                         rows.from_us(r.created_us))  # fmt: skip

    def add(self, clock: TestClock) -> None:
        self.conn.execute(
            t.test_clocks.insert(),
            {
                "tenant_id": clock.tenant_id,
                "clock_id": clock.clock_id,
                "frozen_us": rows.to_us(clock.frozen_at),
                "created_us": rows.to_us(clock.created_at),
            },
        )

    def save(self, clock: TestClock) -> None:
        c = t.test_clocks.c
        self.conn.execute(
            update(t.test_clocks)
            .where(c.tenant_id == self.tenant_id)
            .values(frozen_us=rows.to_us(clock.frozen_at))
        )


class SqlWorkQueries:
    """The runner's read side: what is due, and what was scheduled and sent, per tenant."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def due_tenants(self, now: datetime) -> list[str]:
        stmt = (
            select(_A.tenant_id)
            .where(_A.state == ActionState.pending.value, _A.due_us <= rows.to_us(now))
            .where(_A.tenant_id.not_in(select(t.test_clocks.c.tenant_id)))
            .group_by(_A.tenant_id)
            .order_by(func.min(_A.due_us), _A.tenant_id)
        )
        with self.engine.connect() as conn:
            return [r.tenant_id for r in conn.execute(stmt)]

    def actions(self, tenant_id: str) -> list[ScheduledAction]:
        stmt = (
            select(t.scheduled_actions)
            .where(_A.tenant_id == tenant_id)
            .order_by(_A.due_us, _A.action_id)
        )
        with self.engine.connect() as conn:
            return [_action(r) for r in conn.execute(stmt)]

    def outbox(self, tenant_id: str) -> list[OutboxMessage]:
        o = t.outbox.c
        stmt = select(t.outbox).where(o.tenant_id == tenant_id).order_by(o.created_us)
        with self.engine.connect() as conn:
            return [
                OutboxMessage(
                    r.message_id, r.kind, json.loads(r.payload), rows.from_us(r.created_us)
                )
                for r in conn.execute(stmt)
            ]

    def test_clock(self, tenant_id: str) -> TestClock | None:
        with self.engine.connect() as conn:
            return SqlTestClocks(conn, tenant_id, _NO_CLOCK).get()
