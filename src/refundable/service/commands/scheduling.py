"""Scheduling commands: run one due action, record its failure, create and move a test clock.

``RunDueAction`` carries no idempotency key of its own: the action row is the idempotency
record (its state is checked under the row lock in the same transaction that runs it), so
two workers, or a retry after a crash, can never run it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.service.commands.base import Command, bad, check_id

MAX_GROUP = 200  # due actions run in one transaction at most


@dataclass(frozen=True, slots=True)
class RunDueAction(Command):
    tenant_id: str
    action_id: str
    as_of: datetime  # the clock's now: an action not due yet is left alone


@dataclass(frozen=True, slots=True)
class RunDueActions(Command):
    """Several due actions of one tenant in one transaction (one commit for the group): the
    runner's fast path. If any of them fails, the whole group rolls back and the runner runs
    them one by one, so a failure is recorded against its own action only."""

    tenant_id: str
    action_ids: tuple[str, ...]
    as_of: datetime

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if not isinstance(self.action_ids, tuple) or not 1 <= len(self.action_ids) <= MAX_GROUP:
            raise bad("RunDueActions.action_ids", self.action_ids,
                      f"a tuple of 1 to {MAX_GROUP} action ids")  # fmt: skip
        for i, action_id in enumerate(self.action_ids):
            check_id(action_id, f"RunDueActions.action_ids[{i}]")


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
