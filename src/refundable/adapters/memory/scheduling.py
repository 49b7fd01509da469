"""Scheduled actions, test clocks and the outbox, in memory (the service tests' store)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from refundable.scheduling.model import ActionState, ScheduledAction, TestClock
from refundable.service.ports import OutboxMessage

from .repositories import _insert, _Repo
from .tables import MemoryStore


class MemSchedule(_Repo):
    def add(self, actions: Sequence[ScheduledAction]) -> None:
        for a in actions:
            self.t.actions.setdefault(self.k(a.action_id), a)

    def lock(self, action_id: str) -> ScheduledAction | None:
        return self.t.actions.get(self.k(action_id))

    def claim_due(self, as_of: datetime, limit: int) -> list[ScheduledAction]:
        mine = [
            a for (tenant, _), a in self.t.actions.items()
            if tenant == self.tenant_id and a.state is ActionState.pending and a.due_at <= as_of
        ]  # fmt: skip
        return sorted(mine, key=lambda a: (a.due_at, a.action_id))[:limit]

    def get(self, action_id: str) -> ScheduledAction | None:
        return self.t.actions.get(self.k(action_id))

    def save(self, action: ScheduledAction) -> None:
        self.t.actions[self.k(action.action_id)] = action


class MemOutbox(_Repo):
    def add(self, message: OutboxMessage) -> None:
        self.t.outbox.setdefault(self.k(message.message_id), message)


class MemClocks(_Repo):
    def get(self) -> TestClock | None:
        return self.t.clocks.get(self.tenant_id)

    def add(self, clock: TestClock) -> None:
        _insert(self.t.clocks, clock.tenant_id, clock, "test clock")

    def save(self, clock: TestClock) -> None:
        self.t.clocks[clock.tenant_id] = clock


class MemWorkQueries:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def due_tenants(self, now: datetime) -> list[str]:
        t = self.store.tables
        first: dict[str, datetime] = {}
        for (tenant, _), a in t.actions.items():
            if a.state is ActionState.pending and a.due_at <= now and tenant not in t.clocks:
                first[tenant] = min(first.get(tenant, a.due_at), a.due_at)
        return sorted(first, key=lambda tenant: (first[tenant], tenant))

    def actions(self, tenant_id: str) -> list[ScheduledAction]:
        mine = [a for (t, _), a in self.store.tables.actions.items() if t == tenant_id]
        return sorted(mine, key=lambda a: (a.due_at, a.action_id))

    def outbox(self, tenant_id: str) -> list[OutboxMessage]:
        mine = [m for (t, _), m in self.store.tables.outbox.items() if t == tenant_id]
        return sorted(mine, key=lambda m: m.created_at)

    def test_clock(self, tenant_id: str) -> TestClock | None:
        return self.store.tables.clocks.get(tenant_id)
