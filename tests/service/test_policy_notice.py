"""Policy changes with notice (ADR 0050), on the memory store: a material change inside the
notice period is refused with the clause and the earliest date; the notices customers are owed
are scheduled and sent through the outbox; wording is not material."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from fakes import T0
from notice_support import new_version, open_policy_tenant, policy_text
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.errors import NoticeTooShort
from refundable.core.time import FixedClock
from refundable.policy.loader import load_policy_text
from refundable.scheduling.model import ActionKind
from refundable.service import commands as c
from refundable.service.scheduled import run_due
from refundable.tenants.notice import earliest_effective, material_changes

MP = "mp"
# T0 is 2026-03-01 09:00 UTC (11:00 in Johannesburg): 30 full days later is 2026-03-31 11:00,
# so the first local midnight a material change may start is 2026-04-01.
EARLIEST = date(2026, 4, 1)


def app_with(policy: str) -> App:
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    open_policy_tenant(app, MP, policy)
    return app


def versions(app: App) -> list[str]:
    with app.ledger.uow_factory() as uow:
        return [v.version for v in uow.repositories(MP).tenants.versions(MP)]


def test_a_material_change_inside_the_notice_period_is_refused_with_clause_and_date() -> None:
    app = app_with("myprotektor")
    text = new_version("myprotektor", "2.1.0", EARLIEST - timedelta(days=1))
    with pytest.raises(NoticeTooShort) as err:
        app.ledger.handle(c.PublishPolicy(MP, "v2", text, file="myprotektor.yaml"))
    e = err.value
    assert "clause 11" in e.message and "30-day notice" in e.message
    assert "lifecycle" in e.message  # what changed
    assert e.where == "myprotektor.yaml: effective_from"
    assert e.allowed is not None and EARLIEST.isoformat() in e.allowed
    assert e.details["earliest_effective_from"] == EARLIEST.isoformat()
    assert versions(app) == ["2.0.0"]  # nothing written
    assert app.work.actions(MP) == []


def test_a_material_change_with_full_notice_is_published_and_its_notice_sent() -> None:
    app = app_with("myprotektor")
    text = new_version("myprotektor", "2.1.0", EARLIEST)
    receipt = app.ledger.handle(c.PublishPolicy(MP, "v2", text))
    assert receipt.details["material"] == "true"
    with app.ledger.uow_factory() as uow:
        v2 = uow.repositories(MP).tenants.versions(MP)[-1]
    assert (v2.version, v2.notified_at, v2.material) == ("2.1.0", T0, True)
    [notice] = app.work.actions(MP)
    assert (notice.kind, notice.subject, notice.due_at) == (ActionKind.policy_notice, "2.1.0", T0)
    assert run_due(app.bus, app.work, T0, tenant_id=MP).ran == 1
    [message] = app.work.outbox(MP)
    assert (message.kind, message.payload["event_type"]) == ("webhook", "policy.changed")
    data = json.loads(message.payload["data"])
    assert data["clause"] == "11" and data["material"] == "true"
    assert data["channels"] == "email,website,in_app"
    assert data["effective_from"] == EARLIEST.isoformat()


def test_wording_is_not_material_yet_myprotektor_announces_every_revision() -> None:
    app = app_with("myprotektor")
    text = new_version("myprotektor", "2.0.1", date(2026, 3, 2), change="wording")
    receipt = app.ledger.handle(c.PublishPolicy(MP, "v2", text))
    assert receipt.details["material"] == "false"
    [notice] = app.work.actions(MP)  # notify: all
    assert notice.payload["material"] == "false"


def test_a_publisher_may_declare_a_change_material_but_not_the_reverse() -> None:
    app = app_with("myprotektor")
    wording = new_version("myprotektor", "2.0.1", date(2026, 3, 2), change="wording")
    with pytest.raises(NoticeTooShort, match="declared material"):
        app.ledger.handle(c.PublishPolicy(MP, "v2", wording, material=True))
    material = new_version("myprotektor", "2.1.0", date(2026, 3, 2))
    with pytest.raises(NoticeTooShort):  # material=False cannot hide a computed change
        app.ledger.handle(c.PublishPolicy(MP, "v3", material, material=False))


def test_customers_told_earlier_by_the_business_count_and_get_no_second_notice() -> None:
    app = app_with("myprotektor")
    told = T0 - timedelta(days=40)
    text = new_version("myprotektor", "2.1.0", date(2026, 3, 5))
    app.ledger.handle(c.PublishPolicy(MP, "v2", text, notified_at=told))
    with app.ledger.uow_factory() as uow:
        v2 = uow.repositories(MP).tenants.versions(MP)[-1]
    assert v2.notified_at == told
    assert app.work.actions(MP) == []


def test_a_notice_planned_for_later_is_scheduled_then_and_the_period_counts_from_it() -> None:
    app = app_with("myprotektor")
    later = T0 + timedelta(days=10)
    too_soon = new_version("myprotektor", "2.1.0", EARLIEST)  # 30 days from T0, 20 from later
    with pytest.raises(NoticeTooShort):
        app.ledger.handle(c.PublishPolicy(MP, "v2", too_soon, notified_at=later))
    text = new_version("myprotektor", "2.1.0", EARLIEST + timedelta(days=10))
    app.ledger.handle(c.PublishPolicy(MP, "v3", text, notified_at=later))
    [notice] = app.work.actions(MP)
    assert notice.due_at == later
    assert run_due(app.bus, app.work, T0, tenant_id=MP).ran == 0  # not yet due


def test_conek_announces_material_changes_only_and_needs_no_period() -> None:
    app = app_with("conek")
    tomorrow = date(2026, 3, 2)
    v2 = new_version("conek", "2026-03", tomorrow)
    app.ledger.handle(c.PublishPolicy(MP, "v2", v2))
    [notice] = app.work.actions(MP)
    assert notice.payload["clause"] == "13" and notice.payload["channels"] == "email,website"
    wording = v2.replace('version: "2026-03"', 'version: "2026-03b"').replace(
        f"effective_from: {tomorrow}", f"effective_from: {tomorrow + timedelta(days=1)}"
    )
    wording = wording.replace('title: "Changes to this policy"', 'title: "Policy changes"')
    app.ledger.handle(c.PublishPolicy(MP, "v3", wording))
    assert len(app.work.actions(MP)) == 1  # no notice for wording


@pytest.mark.parametrize("policy", ["kero", "kelbix"])
def test_kero_and_kelbix_need_no_notice(policy: str) -> None:
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    text = policy_text(policy)
    open_policy_tenant(app, MP, policy)
    doc = load_policy_text(text).document
    changed = text.replace(f"effective_from: {doc.effective_from}", "effective_from: 2026-03-02")
    changed = changed.replace(f'version: "{doc.version}"', 'version: "next"')
    changed = changed.replace("grace_days: 7", "grace_days: 9")
    receipt = app.ledger.handle(c.PublishPolicy(MP, "v2", changed))
    assert receipt.details["material"] == "true"
    assert app.work.actions(MP) == []


def test_material_changes_name_the_sections_that_matter() -> None:
    old = load_policy_text(policy_text("myprotektor")).document
    grace = load_policy_text(new_version("myprotektor", "x", date(2026, 5, 1))).document
    wording = load_policy_text(
        new_version("myprotektor", "y", date(2026, 5, 1), change="wording")
    ).document
    assert material_changes(old, grace) == ("lifecycle",)
    assert material_changes(old, wording) == ()
    assert material_changes(old, old) == ()


def test_the_earliest_date_is_the_first_local_midnight_after_full_notice() -> None:
    zone = "Africa/Johannesburg"
    midnight = datetime.fromisoformat("2026-03-01T00:00+02:00")
    assert earliest_effective(midnight, 30, zone) == date(2026, 3, 31)
    assert earliest_effective(midnight + timedelta(seconds=1), 30, zone) == date(2026, 4, 1)
    assert earliest_effective(midnight, 0, zone) == date(2026, 3, 1)
