"""Keeping balance checkpoints current on the product clock (ADR 0045).

Checkpoints (ADR 0040) keep ``balance(account, as_of)`` of a hot account flat only if they are
refreshed: the part a read sums by hand is everything recorded since the last refresh. Rather
than a cron line of its own, the refresh is a scheduled action like any other due work, so
``refundable jobs run``, the server's loop and test clocks all run it:

* ``ScheduleCheckpoints`` puts a tenant's first run on its schedule (the action id is derived
  from the kind and the instant, so asking twice schedules it once);
* each run checkpoints a bounded batch of the tenant's own accounts, those refreshed longest ago
  first (``CHECKPOINT_ACCOUNTS_PER_RUN``), and schedules the next run on its grid (a whole
  number of ``CHECKPOINT_RUN_EVERY_S`` after its own due instant, the first one after the
  time of the run: a runner that was stopped for a week runs once, not seven times), in the
  same transaction that marks it done: the chain never breaks and never forks, whatever
  crashes or retries happen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from refundable.core import limits
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done

SUBJECT = "tenant accounts"


def checkpoint_action(tenant_id: str, due_at: datetime) -> ScheduledAction:
    return ScheduledAction.new(tenant_id, ActionKind.balance_checkpoints, SUBJECT, due_at)


def schedule_checkpoints(cmd: c.ScheduleCheckpoints, ctx: Context) -> Done:
    first = checkpoint_action(ctx.tenant_id, cmd.first_at)
    ctx.repos.schedule.add([first])
    return Done(ref=first.action_id)


def run_checkpoints(action: ScheduledAction, ctx: Context) -> Done:
    written = ctx.repos.checkpoints.refresh(limits.CHECKPOINT_ACCOUNTS_PER_RUN)
    following = checkpoint_action(ctx.tenant_id, next_run(action.due_at, ctx.now))
    ctx.repos.schedule.add([following])
    return Done(ref=action.action_id, details={Detail.checkpoints: str(written)})


def next_run(due_at: datetime, now: datetime) -> datetime:
    """The first instant on ``due_at``'s grid that is after both ``due_at`` and ``now``."""
    every = timedelta(seconds=limits.CHECKPOINT_RUN_EVERY_S)
    behind = max(now - due_at, timedelta(0))
    return due_at + every * (behind // every + 1)
