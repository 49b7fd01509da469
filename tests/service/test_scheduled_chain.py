"""Due work that a run writes and that is already due runs in the same pass: a test clock
jumping three months ahead renews three times, in order (it used to stop after the first
batch and leave the later renewals pending until the clock moved again)."""

from __future__ import annotations

from lifecycle_support import START, clocked_tenant, days
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.core.time import FixedClock
from refundable.scheduling.model import ActionKind, ActionState
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def test_one_advance_runs_every_renewal_it_passes() -> None:
    app = bootstrap(MEMORY_URL, FixedClock(START))
    t = clocked_tenant(app, "conek")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "starter", START))
    report = advance_test_clock(app.bus, app.work, t, "clock", START + days(95))
    renewals = [a for a in app.work.actions(t) if a.kind is ActionKind.renewal]
    done = [a.due_at.date().isoformat() for a in renewals if a.state is ActionState.done]
    assert done == ["2026-04-02", "2026-05-02", "2026-06-02"]
    assert report.ran >= 3
    events = [e.event for e in app.subscriptions.history(t, "S1")]
    assert events.count("PeriodEnd") == 3
