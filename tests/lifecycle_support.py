"""Shared vocabulary of the subscription tests: tenants running Conek's and MyProtektor's
shipped policies, their plans, and short helpers that go through the bus."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from refundable.billing.plans import Cycle
from refundable.bootstrap import App
from refundable.config import shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.service import commands as c
from refundable.service.common import Receipt

# After both policies' effective dates (Conek 2025-10-25, MyProtektor 2026-02-25).
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def zar(text: str) -> Money:
    return Money.of(text, "ZAR")


def days(n: float) -> timedelta:
    return timedelta(days=n)


def open_policy_tenant(app: App, policy: str, tenant: str | None = None) -> str:
    """A fresh tenant running the shipped ``policy`` (conek, myprotektor)."""
    tenant = tenant or f"{policy[:4]}{uuid.uuid4().hex[:12]}"
    text = (shipped_policies_dir() / f"{policy}.yaml").read_text()
    app.bus.handle(c.PublishPolicy(tenant, f"pub-{tenant}", text, name=policy))
    return tenant


PlanSpec = dict[str, object]
CONEK_PLANS: tuple[PlanSpec, ...] = (
    {"plan_id": "starter", "tier": 1, "price": zar("310.00"), "included_credits": zar("50.00"),
     "features": ("messaging",)},
    {"plan_id": "growth", "tier": 2, "price": zar("620.00"), "included_credits": zar("120.00"),
     "features": ("messaging", "api")},
)  # fmt: skip
MYPROTEKTOR_PLANS: tuple[PlanSpec, ...] = (
    {"plan_id": "viewer", "tier": 1, "price": zar("310.00"), "features": ("dashboard",)},
    {"plan_id": "analyst", "tier": 2, "price": zar("620.00"),
     "features": ("dashboard", "reports")},
    {"plan_id": "org-annual", "tier": 2, "price": zar("6000.00"), "cycle": Cycle.annual},
)  # fmt: skip


def define_plans(app: App, tenant: str, plans: tuple[PlanSpec, ...]) -> None:
    for spec in plans:
        fields = {"cycle": Cycle.monthly, **spec}
        app.bus.handle(c.DefinePlan(tenant, f"plan-{spec['plan_id']}", **fields))  # type: ignore[arg-type]


def clocked_tenant(app: App, policy: str) -> str:
    """A fresh tenant running ``policy`` (conek or myprotektor) with its test plans and a test
    clock named "clock" at ``START``."""
    tenant = open_policy_tenant(app, policy)
    define_plans(app, tenant, CONEK_PLANS if policy == "conek" else MYPROTEKTOR_PLANS)
    app.bus.handle(c.CreateTestClock(tenant, "clock", "clock", START))
    return tenant


class Keys:
    """Fresh idempotency keys for a test (one per command)."""

    def __init__(self) -> None:
        self.n: defaultdict[str, int] = defaultdict(int)

    def __call__(self, what: str) -> str:
        self.n[what] += 1
        return f"{what}-{self.n[what]}"


def pay(app: App, tenant: str, sid: str, amount: str, at: datetime, pid: str) -> Receipt:
    return app.bus.handle(
        c.RecordRenewalPayment(tenant, f"k-{pid}", sid, pid, zar(amount), Method.card, "stripe", at)
    )


def balance(app: App, tenant: str, account: chart.AccountKey) -> Decimal:
    """Balance on the account's normal side, in the commodity's units (R10 reads 10)."""
    return app.queries.balance(tenant, account)


def journal_balanced(app: App, tenant: str) -> bool:
    totals: defaultdict[str, int] = defaultdict(int)
    for e in app.queries.journal(tenant):
        for line in e.lines:
            totals[line.commodity] += line.amount
    return all(v == 0 for v in totals.values())


def notices(app: App, tenant: str) -> list[str]:
    """The subscription notices written to the outbox (webhook event types), in order."""
    return [
        m.payload["event_type"]
        for m in app.work.outbox(tenant)
        if m.kind == "webhook" and m.payload["event_type"].startswith("subscription.")
    ]
