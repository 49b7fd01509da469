"""Putting the balance-checkpoint job on a tenant's schedule (ADR 0045).

No idempotency key: the scheduled action's id is derived from its kind and instant, so the
same request twice schedules one action (the action row is the idempotency record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.service.commands.base import Command


@dataclass(frozen=True, slots=True)
class ScheduleCheckpoints(Command):
    tenant_id: str
    first_at: datetime  # the first run, on the tenant's product clock
