"""Data retention on SQLite and PostgreSQL (ADR 0051): a test clock walks a Conek customer from
suspension through cancellation to the purge; names and contact details go, the amounts and
the erasure record stay, and the database refuses any rewrite of the erasure history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from refundable.billing.rules import RetentionTrigger as Trigger
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock
from retention_support import customer_with_profile, exported, trigger


def test_a_test_clock_walks_retention_to_the_purge(app: App, tenant: str) -> None:
    t0 = app.clock.now()
    app.ledger.handle(c.CreateTestClock(tenant, "clock", "ret", t0))
    customer_with_profile(app, tenant, "C1", t0)
    trigger(app, tenant, "C1", Trigger.suspension, t0)  # Conek 7.1: 30 days
    cancelled = t0 + timedelta(days=20)
    advance_test_clock(app.bus, app.work, tenant, "ret", cancelled)
    trigger(app, tenant, "C1", Trigger.cancellation, cancelled)  # 3.4: 180 days, replaces it
    advance_test_clock(app.bus, app.work, tenant, "ret", t0 + timedelta(days=40))
    kept = exported(app, tenant, "C1")
    assert kept["personal_data"]["email"] == "thandi@example.co.za"  # the 30-day purge was stale
    purge_at = cancelled + timedelta(days=180)
    assert kept["retention"]["export_available_until"] == purge_at.isoformat()
    advance_test_clock(app.bus, app.work, tenant, "ret", purge_at)
    gone = exported(app, tenant, "C1")
    assert gone["personal_data"]["email"] is None and gone["retention"]["state"] == "purged"
    assert gone["erasures"] == [
        {"erased_at": purge_at.isoformat(), "fields": ["name", "email", "phone"],
         "reason": "cancellation", "clause": "3.4"}
    ]  # fmt: skip
    assert [line["amount"] for line in gone["statement"]] == ["310.00"]
    assert gone["statement"] == kept["statement"]


def test_erasure_history_cannot_be_rewritten(app: App, tenant: str) -> None:
    t0 = app.clock.now()
    customer_with_profile(app, tenant, "C1", t0)
    app.ledger.handle(c.ErasePersonalData(tenant, "erase", "C1", t0))
    mark = ":t" if app.db.dialect.name == "sqlite" else "%(t)s"
    for sql in (
        f"UPDATE personal_data_erasures SET fields = '' WHERE tenant_id = {mark}",
        f"DELETE FROM personal_data_erasures WHERE tenant_id = {mark}",
    ):
        with pytest.raises(DBAPIError, match="append-only"), app.db.begin() as conn:
            conn.exec_driver_sql(sql, {"t": tenant})
    assert exported(app, tenant, "C1")["erasures"][0]["reason"] == "request"
