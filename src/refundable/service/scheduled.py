"""Due work on the product's clock: run each due action once, and advance test clocks.

Due work is data (``scheduled_actions``), written in the transaction of the change that makes
it due. The runner asks which tenants have work due at the clock's now and, per tenant, runs
``RunDueBatch`` until nothing is left that it can take: one transaction that *claims* the next
due actions no other worker holds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so parallel
workers divide the work and never wait on each other), runs each kind's handler with the
action's due instant as the business instant, and marks each done. A crash before commit
leaves them pending; after commit they are done: exactly once either way. A business error
rolls the batch back and is recorded against the action that raised it (retried with backoff,
then ``failed``); the others are claimed again. ADR 0036, 0047, 0065.
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
from refundable.service.commands.scheduling import MAX_GROUP
from refundable.service.common import Context, Detail, Done
from refundable.service.ports import OutboxMessage

KindHandler = Callable[[ScheduledAction, Context], Done]
DEFAULT_BATCH = 500  # actions a worker runs for one tenant before it reports and looks again
DEFAULT_GROUP = 50  # due actions of one tenant claimed and run in one transaction (one commit)
FAILED_ACTION = "scheduled_action"  # the error detail naming the action that failed a batch


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
    return _run_claimed(action, ctx)


def _run_claimed(action: ScheduledAction, ctx: Context) -> Done:
    """Run an action whose row this transaction holds (pending and due), and mark it done."""
    done = KINDS[action.kind](action, replace(ctx, key=f"act:{action.action_id}"))
    ctx.repos.schedule.save(action.finished(ctx.now))
    return Done(done.entry_ids, action.action_id, {**done.details, Detail.outcome: "ran"})


def run_due_batch(cmd: c.RunDueBatch, ctx: Context) -> Done:
    """Claim the next due actions nobody else holds and run each, in due order, in this one
    transaction. An error names the action that raised it (``FAILED_ACTION``)."""
    entries: list[str] = []
    claimed = ctx.repos.schedule.claim_due(cmd.as_of, cmd.limit)
    for action in claimed:
        try:
            entries += _run_claimed(action, ctx).entry_ids
        except RefundableError as err:
            err.details[FAILED_ACTION] = action.action_id
            raise
    return Done(tuple(entries), None, {Detail.ran: str(len(claimed))})


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

    def due_tenants(self, now: datetime) -> list[str]: ...  # with work due, not on a test clock
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
    ``group`` per transaction, each claimed by this worker alone, until none is left that this
    worker can take. After ``batch`` actions of one tenant it reports progress and moves on to
    the next tenant, so one tenant's month-end does not hold up the others' work."""
    if not 1 <= batch <= limits.MAX_LIST_ITEMS:
        raise ValueError(f"batch must be 1..{limits.MAX_LIST_ITEMS}")
    if not 1 <= group <= MAX_GROUP:
        raise ValueError(f"group must be 1..{MAX_GROUP}")
    total = RunReport()
    while True:
        tenants = work.due_tenants(now) if tenant_id is None else [tenant_id]
        step = RunReport()
        for tenant in tenants:
            took = _drain(bus, tenant, now, batch, group)
            step += took
            total += took
            if progress is not None and took.ran + took.failed:
                progress(total)
        # Stop when a whole round took nothing: nothing is due, or what is due is held by
        # other workers (who run it, and whatever it makes due now, themselves). A round that
        # took something looks again: a run may make more work due now (a renewal's next
        # renewal after a long clock jump, an expiry's continuation).
        if step.ran + step.failed == 0:
            return total


def _drain(bus: Bus, tenant: str, now: datetime, batch: int, group: int) -> RunReport:
    """Claim and run ``group`` at a time until ``batch`` ran or a claim came back empty."""
    out = RunReport()
    while out.ran + out.failed < batch:
        step = _claim_and_run(bus, tenant, now, min(group, batch - out.ran - out.failed))
        out += step
        if step.ran + step.failed == 0:
            break
    return out


def _claim_and_run(bus: Bus, tenant: str, now: datetime, limit: int) -> RunReport:
    try:
        receipt = bus.handle(c.RunDueBatch(tenant, now, limit))
    except RefundableError as err:
        action_id = err.details.pop(FAILED_ACTION, None)
        if not isinstance(action_id, str):
            raise  # not an action's own failure (e.g. storage gave up): nothing to pin it on
        reason = f"[{err.code}] {err}"[: limits.MAX_TEXT_LENGTH]
        bus.handle(c.RecordActionFailure(tenant, action_id, now, reason))
        return RunReport(failed=1)
    details = getattr(receipt, "details", {})
    return RunReport(ran=int(details[Detail.ran]))


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
