"""Helpers for the refund-case tests: the shipped policies as tenants, stored charges and
payments, case commands with short names, and ledger balances read back."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from refundable.bootstrap import App
from refundable.cases.model import Case, CaseEvent, Subject
from refundable.config import shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.policy.facts import Reason
from refundable.service import commands as c
from refundable.service.common import Receipt
from refundable.service.seed import seed_demo_tenants

_SEEDED: set[int] = set()


def seeded(app: App) -> App:
    """The four shipped policies as tenants conek, kelbix, kero, myprotektor (once per app)."""
    if id(app) not in _SEEDED:
        seed_demo_tenants(app.bus, shipped_policies_dir())
        _SEEDED.add(id(app))
    return app


def policy_tenant(app: App, policy_id: str) -> str:
    """A fresh tenant running the shipped ``policy_id`` policy (its own test clock, cases)."""
    tenant = uid(policy_id[:4])
    path = shipped_policies_dir() / f"{policy_id}.yaml"
    app.bus.handle(c.PublishPolicy(tenant, "publish", path.read_text(), name=policy_id))
    return tenant


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def charge_and_pay(
    app: App, tenant: str, customer: str, amount: Money, at: datetime,
    method: Method = Method.card, wallet: bool = False,
) -> tuple[str, str]:  # fmt: skip
    """A charge and the payment of it (or a wallet top-up): (charge id, payment id)."""
    ch, p = uid("ch"), uid("p")
    if wallet:
        app.bus.handle(c.TopUpWallet(tenant, f"k{p}", p, customer, amount, method, "bank", at,
                                     c.TopUpMode.automatic))  # fmt: skip
        return ch, p
    app.bus.handle(c.RecordCharge(tenant, f"k{ch}", ch, customer, amount, at))
    app.bus.handle(c.RecordPayment(tenant, f"k{p}", p, customer, amount, method, "psp", at))
    return ch, p


def open_case(
    app: App, tenant: str, customer: str, subject: Subject, subject_id: str, reason: Reason,
    at: datetime, **more: Any,
) -> tuple[str, Receipt]:  # fmt: skip
    case_id = uid("case")
    r = app.bus.handle(c.OpenCase(tenant, f"k{case_id}", case_id, customer, subject, subject_id,
                                  reason, at, f"customer:{customer}", **more))  # fmt: skip
    return case_id, r


def case_of(app: App, tenant: str, case_id: str) -> Case:
    assert app.cases_read is not None
    found = app.cases_read.case(tenant, case_id)
    assert found is not None
    return found


def events_of(app: App, tenant: str, case_id: str) -> list[CaseEvent]:
    assert app.cases_read is not None
    return app.cases_read.events(tenant, case_id)


def kinds(app: App, tenant: str, case_id: str) -> list[str]:
    return [e.kind.value for e in events_of(app, tenant, case_id)]


def outbox_for(app: App, tenant: str, case_id: str, kind: str) -> list[dict[str, str]]:
    out = []
    for m in app.work.outbox(tenant):
        p = dict(m.payload)
        if m.kind == kind and (case_id in p.get("data", "") or p.get("case_id") == case_id
                               or case_id in p.get("subject", "")):  # fmt: skip
            out.append(p)
    return out


def tenant_balance(app: App, tenant: str, kind: Kind, currency: str) -> Decimal:
    return app.queries.balance(tenant, chart.tenant_account(kind, currency))


def wallet_balance(app: App, tenant: str, customer: str, currency: str) -> Decimal:
    return app.queries.balance(tenant, chart.wallet(customer, currency))


def pay_out(app: App, tenant: str, case_id: str, at: datetime) -> Receipt:
    """What the payout worker does with the case's payout message: refund the payment by the
    decision (the ledger posting), then tell the case it was paid."""
    [msg] = outbox_for(app, tenant, case_id, "payout")
    rf = uid("rf")
    app.bus.handle(c.PayRefund(tenant, f"k{rf}", rf, msg["payment_id"], msg["decision_id"], at))
    return app.bus.handle(c.RecordCasePaid(tenant, f"paid{rf}", case_id, rf, at))


def days(n: float) -> timedelta:
    return timedelta(days=n)


def zar(text: str) -> Money:
    return Money.of(text, "ZAR")


def usd(text: str) -> Money:
    return Money.of(text, "USD")


__all__ = ["Kind", "Method", "Reason", "Subject"]
