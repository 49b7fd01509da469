"""Due work on the product's clock: run each due action once, and advance test clocks.

Due work is data (``scheduled_actions``), written in the transaction of the change that makes
it due. The runner lists what is due at the clock's now and runs each action through the bus
as ``RunDueAction``: one transaction that locks the action's row (``SKIP LOCKED`` on
PostgreSQL, so parallel workers divide the work), checks it is still pending and due, runs the
kind's handler with the action's due instant as the business instant, and marks it done. A
crash before commit leaves it pending; after commit it is done: exactly once either way. A
business error rolls the run back and records the failure (retried with backoff, then
``failed``). ADR 0036.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from refundable.core import limits
from refundable.core.errors import Conflict, NotFound, RefundableError
from refundable.scheduling.model import (
    ActionKind,
    ActionState,
    ScheduledAction,
    TestClock,
)
from refundable.service import (
    case_steps,
    checkpoint_job,
    outbox_kinds,
    retention,
    subscription_jobs,
)
from refundable.service import commands as c
from refundable.service import credit_handlers as credits
from refundable.service.common import Context, Detail, Done
from refundable.service.ports import OutboxMessage

KindHandler = Callable[[ScheduledAction, Context], Done]
DEFAULT_BATCH = 500
DEFAULT_GROUP = 50  # due actions of one tenant run in one transaction (one commit)


EXPIRY_BATCH = 10_000  # lots expired per action run: bounded memory and transaction size


def _expire_lots(action: ScheduledAction, ctx: Context) -> Done:
    """Expire up to EXPIRY_BATCH lots; if that many went, more may be due: the rest go in a
    continuation action at the same instant (subject ``unit:n``), run by the same loop."""
    unit, _, part = action.subject.partition(":")
    cmd = c.ExpireLots(ctx.tenant_id, ctx.key, action.due_at, unit)  # checks the unit
    done = credits.expire_due(ctx, cmd.as_of, cmd.unit, EXPIRY_BATCH)
    if done.details.get(Detail.lots) == str(EXPIRY_BATCH):
        more = f"{unit}:{int(part or 0) + 1}"
        ctx.repos.schedule.add([ScheduledAction.new(ctx.tenant_id, action.kind, more,
                                                    action.due_at)])  # fmt: skip
    return done


def _notice(action: ScheduledAction, ctx: Context) -> Done:
    message = OutboxMessage(action.action_id, action.subject, action.payload, action.due_at)
    ctx.repos.outbox.add(message)
    return Done(ref=action.action_id)


def _policy_notice(action: ScheduledAction, ctx: Context) -> Done:
    """A new policy version, told to the tenant's customers (ADR 0050): one ``policy.changed``
    business event (outbox webhook, ADR 0055) that the senders fan out to the audience and
    channels its data names."""
    message = outbox_kinds.webhook_message(
        action.action_id,
        event_type="policy.changed",
        event_id=action.action_id,
        data=dict(action.payload),
        at=action.due_at,
    )
    ctx.repos.outbox.add(message)
    return Done(ref=action.action_id)


# One entry per kind; a new kind (renewal, dunning step, retention purge, SLA warning) is one
# line here and one member of ActionKind.
KINDS: dict[ActionKind, KindHandler] = {
    ActionKind.expire_lots: _expire_lots,
    ActionKind.notice: _notice,
    ActionKind.policy_notice: _policy_notice,
    ActionKind.personal_data_purge: retention.purge_due,
    ActionKind.case_sla: case_steps.run_case_alarm,
    **subscription_jobs.KINDS,
    ActionKind.balance_checkpoints: checkpoint_job.run_checkpoints,
}


def run_due_action(cmd: c.RunDueAction, ctx: Context) -> Done:
    action = ctx.repos.schedule.lock(cmd.action_id)
    if action is None or action.state is not ActionState.pending or action.due_at > cmd.as_of:
        return Done(ref=cmd.action_id, details={Detail.outcome: "skipped"})
    done = KINDS[action.kind](action, replace(ctx, key=f"act:{action.action_id}"))
    ctx.repos.schedule.save(action.finished(ctx.now))
    return Done(done.entry_ids, cmd.action_id, {**done.details, Detail.outcome: "ran"})


def run_due_actions(cmd: c.RunDueActions, ctx: Context) -> Done:
    """Each action as ``run_due_action`` does, in order, in this one transaction."""
    entries: list[str] = []
    ran = 0
    for action_id in cmd.action_ids:
        done = run_due_action(c.RunDueAction(cmd.tenant_id, action_id, cmd.as_of), ctx)
        entries += done.entry_ids
        ran += done.details.get(Detail.outcome) == "ran"
    skipped = len(cmd.action_ids) - ran
    return Done(tuple(entries), None, {Detail.ran: str(ran), Detail.skipped: str(skipped)})


def record_action_failure(cmd: c.RecordActionFailure, ctx: Context) -> Done:
    action = ctx.repos.schedule.lock(cmd.action_id)
    if action is None or action.state is not ActionState.pending:
        return Done(ref=cmd.action_id, details={Detail.outcome: "skipped"})
    after = action.failed_once(cmd.reason, cmd.at)
    ctx.repos.schedule.save(after)
    return Done(ref=cmd.action_id, details={Detail.outcome: after.state.value})


def create_test_clock(cmd: c.CreateTestClock, ctx: Context) -> Done:
    if ctx.repos.clocks.get() is not None:
        raise Conflict(
            f"tenant {ctx.tenant_id!r} already runs on a test clock",
            where="CreateTestClock.tenant_id",
            allowed="one test clock per tenant; advance the one it has",
        )
    ctx.repos.clocks.add(TestClock(ctx.tenant_id, cmd.clock_id, cmd.frozen_at, ctx.now))
    return Done(ref=cmd.clock_id)


def move_test_clock(cmd: c.MoveTestClock, ctx: Context) -> Done:
    clock = _clock_of(ctx.repos.clocks.get(), cmd.clock_id, "MoveTestClock.clock_id")
    ctx.repos.clocks.save(clock.advanced_to(cmd.to_at))
    return Done(ref=cmd.clock_id)


def _clock_of(clock: TestClock | None, clock_id: str, where: str) -> TestClock:
    if clock is None or clock.clock_id != clock_id:
        raise NotFound(f"no test clock {clock_id!r} for this tenant", where=where,
                       allowed="the id given when the clock was created")  # fmt: skip
    return clock


# --- the runner ---------------------------------------------------------------------------


class WorkQueries(Protocol):
    """The read side the runner and people need (outside any one command's transaction)."""

    def due(
        self, now: datetime, limit: int, tenant_id: str | None = None
    ) -> list[tuple[str, str]]: ...  # (tenant, action id), in due order
    def actions(self, tenant_id: str) -> list[ScheduledAction]: ...
    def outbox(self, tenant_id: str) -> list[OutboxMessage]: ...
    def test_clock(self, tenant_id: str) -> TestClock | None: ...


class Bus(Protocol):
    def handle(self, command: c.Command) -> object: ...


@dataclass(frozen=True, slots=True)
class RunReport:
    ran: int = 0
    skipped: int = 0
    failed: int = 0

    def __add__(self, other: RunReport) -> RunReport:
        return RunReport(self.ran + other.ran, self.skipped + other.skipped,
                         self.failed + other.failed)  # fmt: skip


def run_due(
    bus: Bus,
    work: WorkQueries,
    now: datetime,
    *,
    tenant_id: str | None = None,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[RunReport], None] | None = None,
    group: int = DEFAULT_GROUP,
) -> RunReport:
    """Run every action due at ``now`` (one tenant's, or every tenant's not on a test clock),
    in due order, ``batch`` listed at a time and ``group`` per transaction, until none is left
    that this worker can take."""
    if not 1 <= batch <= limits.MAX_LIST_ITEMS:
        raise ValueError(f"batch must be 1..{limits.MAX_LIST_ITEMS}")
    total = RunReport()
    while True:
        due = work.due(now, batch, tenant_id)
        step = sum((_run_group(bus, tenant, ids, now) for tenant, ids in _groups(due, group)),
                   RunReport())  # fmt: skip
        total += step
        if progress is not None and due:
            progress(total)
        # Stop when nothing is due or nothing could be taken; a run may make more work due
        # now (a renewal's next renewal after a long clock jump, an expiry's continuation).
        if not due or step.ran + step.failed == 0:
            return total


def _groups(due: list[tuple[str, str]], size: int) -> list[tuple[str, list[str]]]:
    """Consecutive actions of the same tenant, at most ``size`` together, in due order."""
    out: list[tuple[str, list[str]]] = []
    for tenant, action_id in due:
        if out and out[-1][0] == tenant and len(out[-1][1]) < size:
            out[-1][1].append(action_id)
        else:
            out.append((tenant, [action_id]))
    return out


def _run_group(bus: Bus, tenant: str, ids: list[str], now: datetime) -> RunReport:
    """One transaction for the group; if any action in it fails, one by one instead."""
    if len(ids) == 1:
        return _run_one(bus, tenant, ids[0], now)
    try:
        receipt = bus.handle(c.RunDueActions(tenant, tuple(ids), now))
    except RefundableError:
        return sum((_run_one(bus, tenant, a, now) for a in ids), RunReport())
    details = getattr(receipt, "details", {})
    return RunReport(ran=int(details[Detail.ran]), skipped=int(details[Detail.skipped]))


def _run_one(bus: Bus, tenant: str, action_id: str, now: datetime) -> RunReport:
    try:
        receipt = bus.handle(c.RunDueAction(tenant, action_id, now))
    except RefundableError as err:
        reason = f"[{err.code}] {err}"[: limits.MAX_TEXT_LENGTH]
        bus.handle(c.RecordActionFailure(tenant, action_id, now, reason))
        return RunReport(failed=1)
    details = getattr(receipt, "details", {})
    return RunReport(ran=1) if details.get(Detail.outcome) == "ran" else RunReport(skipped=1)


def advance_test_clock(
    bus: Bus, work: WorkQueries, tenant_id: str, clock_id: str, to: datetime
) -> RunReport:
    """Move a tenant's test clock to ``to``, running every action due by then in due order
    (each at its own due instant), then set the clock. Forward only, bounded step."""
    clock = _clock_of(work.test_clock(tenant_id), clock_id, "clock_id")
    clock.advanced_to(to)  # refuse a backward or oversized step before running anything
    report = run_due(bus, work, to, tenant_id=tenant_id)
    bus.handle(c.MoveTestClock(tenant_id, clock_id, to))
    return report
