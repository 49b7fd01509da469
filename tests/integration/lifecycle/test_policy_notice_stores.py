"""Policy changes with notice on SQLite and PostgreSQL (ADR 0050): the refusal writes nothing,
a published version keeps when customers were told and whether the change was material, and
its notice runs through the scheduled actions into the outbox."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest

from notice_support import new_version, open_policy_tenant
from refundable.bootstrap import App
from refundable.core.errors import NoticeTooShort
from refundable.scheduling.model import ActionKind, ActionState
from refundable.service import commands as c
from refundable.service.scheduled import run_due

# The integration clock stands at 2026-06-01 00:00 UTC (02:00 in Johannesburg): 30 full days
# later is 2026-07-01 02:00, so the first allowed effective date is 2026-07-02.
EARLIEST = date(2026, 7, 2)


def test_notice_period_on_both_stores(app: App) -> None:
    tenant = f"mp{uuid.uuid4().hex[:12]}"
    open_policy_tenant(app, tenant, "myprotektor")
    early = new_version("myprotektor", "2.1.0", EARLIEST - timedelta(days=1))
    with pytest.raises(NoticeTooShort, match="clause 11") as err:
        app.ledger.handle(c.PublishPolicy(tenant, "early", early))
    assert err.value.details["earliest_effective_from"] == EARLIEST.isoformat()
    app.ledger.handle(c.PublishPolicy(tenant, "v2", new_version("myprotektor", "2.1.0", EARLIEST)))
    with app.ledger.uow_factory() as uow:
        v1, v2 = uow.repositories(tenant).tenants.versions(tenant)
    now = app.clock.now()
    assert (v1.material, v2.material, v2.notified_at, v2.notified_on) == (
        False, True, now, date(2026, 6, 1),
    )  # fmt: skip
    [notice] = app.work.actions(tenant)
    assert notice.kind is ActionKind.policy_notice
    assert run_due(app.bus, app.work, now, tenant_id=tenant).ran == 1
    [message] = app.work.outbox(tenant)
    assert (message.kind, message.payload["event_type"]) == ("webhook", "policy.changed")
    assert json.loads(message.payload["data"])["version"] == "2.1.0"
    assert {a.state for a in app.work.actions(tenant)} == {ActionState.done}
