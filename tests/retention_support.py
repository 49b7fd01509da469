"""Shared steps of the retention tests (memory store and both SQL stores): a customer with a
profile and a charge in the ledger, retention triggers, and reading back what is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fakes import zar
from refundable.billing.rules import RetentionTrigger
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.retention_export import export_customer


def customer_with_profile(app: App, tenant: str, cid: str, at: datetime) -> None:
    app.ledger.handle(c.RegisterCustomer(tenant, f"reg-{cid}", cid))
    app.ledger.handle(
        c.RecordCustomerProfile(tenant, f"prof-{cid}", cid, at, name="Thandi Mokoena",
                                email="thandi@example.co.za", phone="+27 82 555 0101")
    )  # fmt: skip
    app.ledger.handle(c.RecordCharge(tenant, f"chg-{cid}", f"inv-{cid}", cid, zar("310.00"), at))


def trigger(app: App, tenant: str, cid: str, what: RetentionTrigger, at: datetime) -> Any:
    key = f"ret-{cid}-{what.value}-{at.timestamp():.0f}"
    return app.ledger.handle(c.ScheduleRetention(tenant, key, cid, what, at))


def exported(app: App, tenant: str, cid: str) -> dict[str, Any]:
    return export_customer(app.ledger.uow_factory, app.queries, tenant, cid)
