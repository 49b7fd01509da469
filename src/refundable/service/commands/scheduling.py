"""Scheduling commands: run one due action, record its failure, create and move a test clock.

``RunDueAction`` carries no idempotency key of its own: the action row is the idempotency
record (its state is checked under the row lock in the same transaction that runs it), so
two workers, or a retry after a crash, can never run it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.service.commands.base import Command


@dataclass(frozen=True, slots=True)
class RunDueAction(Command):
    tenant_id: str
    action_id: str
    as_of: datetime  # the clock's now: an action not due yet is left alone


@dataclass(frozen=True, slots=True)
class RecordActionFailure(Command):
    tenant_id: str
    action_id: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class CreateTestClock(Command):
    BUSINESS_KEYS = (("test_clock", "clock_id"),)

    tenant_id: str
    idempotency_key: str
    clock_id: str
    frozen_at: datetime


@dataclass(frozen=True, slots=True)
class MoveTestClock(Command):
    """Set the clock's time once every action due up to it has run (see ``advance``)."""

    tenant_id: str
    clock_id: str
    to_at: datetime
