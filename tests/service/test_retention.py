"""Data retention as dated schedules per policy (ADR 0051), on the memory store: export until
the date, then names and contact details purged while every amount stays; the latest trigger
governs; a reinstatement withdraws the date; a policy that states no period purges nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fakes import T0, TENANT, memory_app
from notice_support import open_policy_tenant
from refundable.billing.rules import RetentionTrigger as Trigger
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.core.errors import InputError, NotFound
from refundable.core.time import FixedClock
from refundable.scheduling.model import ActionKind
from refundable.service import commands as c
from refundable.service.scheduled import run_due
from retention_support import customer_with_profile, exported, trigger

SECOND = timedelta(seconds=1)


def test_conek_cancellation_keeps_data_180_days_then_purges_names_and_keeps_amounts() -> None:
    app = memory_app()
    customer_with_profile(app, TENANT, "C1", T0)
    receipt = trigger(app, TENANT, "C1", Trigger.cancellation, T0)
    purge_at = T0 + timedelta(days=180)
    assert receipt.details["valid_until"] == purge_at.isoformat()
    before = exported(app, TENANT, "C1")
    assert before["retention"]["export_available_until"] == purge_at.isoformat()
    assert before["retention"]["clause"] == "3.4"
    assert before["personal_data"]["email"] == "thandi@example.co.za"
    [action] = [a for a in app.work.actions(TENANT) if a.kind is ActionKind.personal_data_purge]
    assert (action.subject, action.due_at) == ("C1", purge_at)

    assert run_due(app.bus, app.work, purge_at - SECOND, tenant_id=TENANT).ran == 0
    assert run_due(app.bus, app.work, purge_at, tenant_id=TENANT).ran == 1
    after = exported(app, TENANT, "C1")
    personal = after["personal_data"]
    assert (personal["name"], personal["email"], personal["phone"]) == (None, None, None)
    assert personal["erased_at"] == purge_at.isoformat()
    assert after["erasures"] == [
        {"erased_at": purge_at.isoformat(), "fields": ["name", "email", "phone"],
         "reason": "cancellation", "clause": "3.4"}
    ]  # fmt: skip
    assert after["retention"]["state"] == "purged"
    assert after["statement"] == before["statement"]  # every amount kept
    assert [line["amount"] for line in after["statement"]] == ["310.00"]


def test_the_latest_trigger_governs_and_a_stale_purge_does_nothing() -> None:
    app = memory_app()
    customer_with_profile(app, TENANT, "C1", T0)
    trigger(app, TENANT, "C1", Trigger.suspension, T0)  # 7.1: 30 days
    cancelled_at = T0 + timedelta(days=10)
    trigger(app, TENANT, "C1", Trigger.cancellation, cancelled_at)  # 3.4: 180 days from then
    run_due(app.bus, app.work, T0 + timedelta(days=31), tenant_id=TENANT)
    assert exported(app, TENANT, "C1")["personal_data"]["name"] == "Thandi Mokoena"
    run_due(app.bus, app.work, cancelled_at + timedelta(days=180), tenant_id=TENANT)
    [erasure] = exported(app, TENANT, "C1")["erasures"]
    assert (erasure["reason"], erasure["clause"]) == ("cancellation", "3.4")


def test_a_reinstated_account_keeps_its_data() -> None:
    app = memory_app()
    customer_with_profile(app, TENANT, "C1", T0)
    trigger(app, TENANT, "C1", Trigger.suspension, T0)
    done = app.ledger.handle(c.WithdrawRetention(TENANT, "back", "C1", T0 + timedelta(days=3)))
    assert done.details["outcome"] == "withdrawn"
    run_due(app.bus, app.work, T0 + timedelta(days=40), tenant_id=TENANT)
    kept = exported(app, TENANT, "C1")
    assert kept["personal_data"]["name"] == "Thandi Mokoena" and kept["erasures"] == []
    assert kept["retention"]["state"] == "withdrawn"


def test_conek_termination_may_delete_at_once() -> None:
    app = memory_app()
    customer_with_profile(app, TENANT, "C1", T0)
    trigger(app, TENANT, "C1", Trigger.termination, T0)  # 7.2: 0 days
    run_due(app.bus, app.work, T0, tenant_id=TENANT)
    assert exported(app, TENANT, "C1")["erasures"][0]["clause"] == "7.2"


@pytest.mark.parametrize(("policy", "days"), [("myprotektor", 90), ("kero", None)])
def test_each_policy_sets_its_own_period(policy: str, days: int | None) -> None:
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    open_policy_tenant(app, "t1", policy)
    customer_with_profile(app, "t1", "C1", T0)
    receipt = trigger(app, "t1", "C1", Trigger.cancellation, T0)
    if days is None:  # Kero states no retention period: nothing is scheduled (ADR 0049)
        assert receipt.details["outcome"] == "no_period"
        assert exported(app, "t1", "C1")["retention"] is None
        assert app.work.actions("t1") == []
    else:
        assert receipt.details["valid_until"] == (T0 + timedelta(days=days)).isoformat()


def test_erasure_on_request_is_recorded_and_a_later_purge_finds_nothing_more() -> None:
    app = memory_app()
    customer_with_profile(app, TENANT, "C1", T0)
    trigger(app, TENANT, "C1", Trigger.cancellation, T0)
    app.ledger.handle(c.ErasePersonalData(TENANT, "erase", "C1", T0 + timedelta(days=1)))
    run_due(app.bus, app.work, T0 + timedelta(days=181), tenant_id=TENANT)
    [erasure] = exported(app, TENANT, "C1")["erasures"]
    assert (erasure["reason"], erasure["clause"]) == ("request", None)


def test_bad_input_is_refused_and_writes_nothing() -> None:
    app = memory_app()
    with pytest.raises(NotFound, match="no customer 'ghost'"):
        app.ledger.handle(c.ScheduleRetention(TENANT, "k", "ghost", Trigger.cancellation, T0))
    with pytest.raises(InputError, match="email"):
        c.RecordCustomerProfile(TENANT, "k", "C1", T0, email="not-an-address")
    with pytest.raises(InputError, match="at least one of name"):
        c.RecordCustomerProfile(TENANT, "k", "C1", T0)
    with pytest.raises(InputError, match="trigger"):
        c.ScheduleRetention(TENANT, "k", "C1", "someday", T0)  # type: ignore[arg-type]
    assert app.work.actions(TENANT) == []
