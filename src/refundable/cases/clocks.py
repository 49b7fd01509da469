"""Stage clocks: each stage's deadline on the tenant's calendar, its warning, and the pause
while the business waits on the customer.

What starts and ends each stage is fixed here; how long it may take is the policy's
(``cases.stages``). A stage runs while the case is in one of its states: the initial review
and the decision run from receipt, the investigation while an agent reviews, the payout while
the money is on its way. Leaving those states ends the stage (kept if by its deadline).
Where the policy allows it, the clocks stop while the case awaits information and resume
shifted by the business days waited (ADR 0052). Everything here is pure: the instants come in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from refundable.cases.model import Case, CaseState, StageClock
from refundable.core.time import BusinessCalendar
from refundable.policy.casesdoc import StageDeadline, StageName

S = CaseState
RUNS: Mapping[StageName, frozenset[CaseState]] = {
    StageName.initial_review: frozenset({S.received, S.awaiting_information}),
    StageName.investigation: frozenset({S.in_review}),
    StageName.decision: frozenset({S.received, S.awaiting_information, S.in_review}),
    StageName.payout: frozenset({S.paying}),
}


@dataclass(frozen=True, slots=True)
class ClockRules:
    """The part of a policy the clocks read: stage deadlines, calendar, pause."""

    stages: tuple[StageDeadline, ...]
    calendar: BusinessCalendar
    pause: bool


def business_days_before(calendar: BusinessCalendar, day: date, n: int) -> date:
    """The n-th business day before ``day`` (``day`` itself not counted)."""
    for _ in range(n):
        day -= timedelta(days=1)
        while not calendar.is_business_day(day):
            day -= timedelta(days=1)
    return day


def deadline(
    spec: StageDeadline, start: datetime, cal: BusinessCalendar
) -> tuple[datetime, datetime]:
    """(due, warn) for a stage started at ``start``."""
    if spec.business_days is not None:
        due = cal.business_deadline(start, spec.business_days)
    else:
        last = cal.local(start).date() + timedelta(days=spec.days or 0)
        due = datetime.combine(last, time.max, tzinfo=cal.zone)
    return due, _warn(spec, start, due, cal)


def _warn(spec: StageDeadline, start: datetime, due: datetime, cal: BusinessCalendar) -> datetime:
    """When a stage started at ``start`` and due at ``due`` warns (``warn_before`` ahead)."""
    if spec.business_days is not None:
        warn_day = business_days_before(cal, cal.local(due).date(), spec.warn_before)
        return min(due, max(start, cal.close_of(warn_day)))
    return max(start, due - timedelta(days=spec.warn_before))


def held_to(case: Case, stage: StageName, due: datetime, clause: str, rules: ClockRules) -> Case:
    """``case`` with its running ``stage`` due at ``due`` under ``clause``: the deadline a
    decision promises for that stage (a refund's payment deadline, ADR 0081) instead of the
    stage's general one, warned as the stage's own rule says. Unchanged when the stage does
    not run, or already runs to that deadline."""
    clock = case.clock(stage)
    spec = next((s for s in rules.stages if s.stage is stage), None)
    if clock is None or not clock.running or spec is None:
        return case
    if (clock.due_at, clock.clause) == (due, clause):
        return case
    warn = _warn(spec, clock.started_at, due, rules.calendar)
    moved = replace(clock, due_at=due, warn_at=warn, clause=clause, generation=clock.generation + 1,
                    warned=False, breached=False)  # fmt: skip
    return case.with_clock(moved)


def _shift(clock: StageClock, spec: StageDeadline, since: datetime, to: datetime,
           cal: BusinessCalendar) -> StageClock:  # fmt: skip
    """Move a running stage's deadline by the time the case waited on the customer."""
    if spec.business_days is not None:
        waited = cal.business_days_between(cal.local(since).date(), cal.local(to).date())

        def move(x: datetime) -> datetime:
            local = cal.local(x)
            day = cal.add_business_days(local.date(), waited)
            return datetime.combine(day, local.timetz())

        due, warn = move(clock.due_at), move(clock.warn_at)
    else:
        due, warn = clock.due_at + (to - since), clock.warn_at + (to - since)
    return replace(clock, due_at=due, warn_at=warn, generation=clock.generation + 1)


def on_state_change(case: Case, before: CaseState, at: datetime, rules: ClockRules) -> Case:
    """Resume after a pause, end the stages the new state leaves, start those it enters."""
    clocks, paused_at = clocks_after(case, case.state, before, at, rules)
    return case.evolve(clocks=clocks, paused_at=paused_at)


def clocks_after(
    case: Case, state: CaseState, before: CaseState, at: datetime, rules: ClockRules
) -> tuple[tuple[StageClock, ...], datetime | None]:
    """The clocks and pause of ``case`` once it moved from ``before`` to ``state`` at ``at``
    (``on_state_change``'s fields, for a caller that changes other fields in the same
    ``replace``: a case has some twenty fields, and each copy of it counts on the hot path)."""
    specs = {s.stage: s for s in rules.stages}
    clocks = list(case.clocks)
    paused_at = case.paused_at
    if before is S.awaiting_information and paused_at is not None:
        clocks = [
            _shift(c, specs[c.stage], paused_at, at, rules.calendar) if c.running else c
            for c in clocks
        ]
        paused_at = None
    if state is S.awaiting_information and rules.pause:
        paused_at = at
    clocks = [
        replace(c, ended_at=at) if c.running and state not in RUNS[c.stage] else c for c in clocks
    ]
    known = {c.stage for c in clocks}
    for spec in rules.stages:
        if spec.stage not in known and state in RUNS[spec.stage]:
            due, warn = deadline(spec, at, rules.calendar)
            clocks.append(StageClock(spec.stage, spec.clause, at, due, warn))
    return tuple(clocks), paused_at


@dataclass(frozen=True, slots=True)
class ClockAlarm:
    """A warning or breach to schedule for one stage's current deadline."""

    stage: StageName
    breach: bool
    at: datetime
    generation: int


def alarms(case: Case) -> list[ClockAlarm]:
    """What to schedule for the running stages (a paused case schedules nothing)."""
    if case.paused_at is not None:
        return []
    out = []
    for c in case.clocks:
        if not c.running:
            continue
        if not c.warned:
            out.append(ClockAlarm(c.stage, False, c.warn_at, c.generation))
        if not c.breached:
            out.append(ClockAlarm(c.stage, True, c.due_at, c.generation))
    return out


def sound(case: Case, alarm: ClockAlarm) -> Case | None:
    """The case with the alarm recorded, or None when it is stale (the stage ended, the
    deadline moved, the case is paused, or it was recorded already)."""
    c = case.clock(alarm.stage)
    if c is None or not c.running or c.generation != alarm.generation:
        return None
    if case.paused_at is not None or (c.breached if alarm.breach else c.warned):
        return None
    marked = replace(c, breached=True) if alarm.breach else replace(c, warned=True)
    return case.with_clock(marked)
