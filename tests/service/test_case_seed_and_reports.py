"""The demo cases (every state, one about to breach) and the reports over them."""

from __future__ import annotations

from datetime import datetime

from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.time import UTC, FixedClock
from refundable.service.case_reports import build_report
from refundable.service.case_seed import seed_demo_cases
from refundable.service.seed import seed_demo_tenants

NOW = datetime(2026, 6, 3, 10, tzinfo=UTC)  # a Wednesday


def test_demo_cases_cover_every_state_and_the_queue_puts_the_breaching_one_first() -> None:
    app = bootstrap(MEMORY_URL, FixedClock(NOW))
    seed_demo_tenants(app.bus, shipped_policies_dir())
    made = seed_demo_cases(app.bus, NOW)
    assert seed_demo_cases(app.bus, NOW) == made  # a second run replays
    assert app.cases_read is not None
    states = {
        x.state.value
        for tenant in ("conek", "kelbix", "myprotektor")
        for x in app.cases_read.cases(tenant)
    }
    assert states >= {
        "awaiting_information", "in_review", "awaiting_acceptance", "paying", "paid",
        "credited", "denied", "withdrawn", "appealed", "escalated", "mediation",
    }  # fmt: skip
    queue = build_report(app, app.cases_read, "myprotektor", "queue")
    first = queue[0]
    assert first["case_id"] == "demo-breaching" and first["stage"] == "investigation"
    due = datetime.fromisoformat(first["due_at"])
    assert due > NOW and (due - NOW).days < 4  # about to breach, not yet breached
    outcomes = build_report(app, app.cases_read, "myprotektor", "outcomes")
    assert {(r["outcome"], r["remedy"]) for r in outcomes} >= {
        ("approve", "refund"), ("deny", "none"), ("approve", "account_credit")}  # fmt: skip
    # a judged deny pays nothing: it is not counted with the refunds' money
    assert {r["net"] for r in outcomes if r["outcome"] == "deny"} == {"0.00"}
    audit = build_report(app, app.cases_read, "kelbix", "audit")
    assert [r["kind"] for r in audit if r["case_id"] == "demo-paid"][-2:] == [
        "payout_requested", "paid"]  # fmt: skip
    kept = build_report(app, app.cases_read, "myprotektor", "deadlines")
    assert sum(r["kept"] + r["missed"] + r["running"] for r in kept) > 0
