"""A fresh demo leaves the outbox worker nothing it cannot send: no dead letters."""

from __future__ import annotations

from pathlib import Path

from outbox_kit import Hooks, Mails, drain, sandbox, senders
from refundable.adapters.memory.access import MemoryApiKeys
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.config import shipped_policies_dir
from refundable.service.outbox import OutboxReport
from refundable.service.seed import seed_demo


def test_seeding_the_demo_and_draining_the_outbox_leaves_no_dead_letter(tmp_path: Path) -> None:
    app = bootstrap(MEMORY_URL)
    seed_demo(app, MemoryApiKeys(), shipped_policies_dir())
    mails = Mails()
    wired = senders(sandbox(tmp_path), mails, Hooks())
    total = OutboxReport()
    for _ in range(10):  # to quiescence: a pass that sends nothing more
        report = drain(app, wired, app.clock.now())
        total = total + report
        if not (report.sent or report.retried):
            break
    assert total.dead == 0
    assert total.sent > 0 and mails.sent  # the demo's notices did go out
    assert app.cases_read is not None
    paid = next(x for x in app.cases_read.cases("kelbix") if x.case_id == "demo-paid")
    assert paid.state.value == "paid"
