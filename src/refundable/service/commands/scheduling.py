"""Scheduling commands: run one due action, or claim and run a batch of them; record a
failure; create and move a test clock.

``RunDueAction`` carries no idempotency key of its own: the action row is the idempotency
record (its state is checked under the row lock in the same transaction that runs it), so
two workers, or a retry after a crash, can never run it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.service.commands.base import Command, bad

MAX_GROUP = 200  # due actions run in one transaction at most


@dataclass(frozen=True, slots=True)
class RunDueAction(Command):
    tenant_id: str
    action_id: str
    as_of: datetime  # the clock's now: an action not due yet is left alone


@dataclass(frozen=True, slots=True)
class RunDueBatch(Command):
    """Claim up to ``limit`` due actions of one tenant that no other worker holds, and run
    them in this one transaction (one commit for the batch): the runner's path. The claim and
    the runs share the transaction, so the row locks that keep other workers off last exactly
    as long as the work (ADR 0065). If one action fails, the batch rolls back and the error
    names that action, so the runner records the failure against it alone."""

    tenant_id: str
    as_of: datetime  # the clock's now: only actions due by then are claimed
    limit: int

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if type(self.limit) is not int or not 1 <= self.limit <= MAX_GROUP:
            raise bad("RunDueBatch.limit", self.limit, f"a whole number from 1 to {MAX_GROUP}")


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
