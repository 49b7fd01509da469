"""Demo data for `refundable serve`: enough that a newcomer sees a working system at once.

Per demo tenant: two customers with a charge and a payment each; a wallet top-up where the
policy has wallets; message-credit lots where it sells credits, one of them about to expire;
subscriptions in every state (``seed_demo_subscriptions``) where it has a lifecycle; and refund
cases in every state, one about to breach (``seed_demo_cases``, once per install). Every
command has a fixed idempotency key and business instants counted from the tenant's
**anchor** (when its first policy version was published, i.e. the first start), so a restart
replays instead of conflicting, and "about to expire" means about to expire after the first
start. ADR 0060.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger.lots import LotSource
from refundable.policy.document import PolicyDocument
from refundable.service import commands as c
from refundable.service.bus import MessageBus

DAY = timedelta(days=1)
CUSTOMERS = (("demo-alice", "299.00", Method.card, 2), ("demo-bob", "899.00", Method.eft, 20))


def anchor_and_policy(bus: MessageBus, tenant_id: str) -> tuple[datetime, PolicyDocument, str]:
    """(first publication instant, the policy in force then, the tenant's currency)."""
    with bus.uow_factory() as uow:
        tenants = uow.repositories(tenant_id).tenants
        first = tenants.versions(tenant_id)[0]
        tenant = tenants.get(tenant_id)
        policy = bus.catalog.in_force(tenants, tenant_id, first.published_at)
    assert tenant is not None
    return first.published_at, policy.document, tenant.currency


def seed_demo_data(bus: MessageBus, tenant_id: str) -> dict[str, Any]:
    """Seed one tenant's demo data (idempotent); returns what was seeded, for the banner."""
    at, policy, currency = anchor_and_policy(bus, tenant_id)
    run = _runner(bus, tenant_id)
    for cid, amount, method, days_ago in CUSTOMERS:
        when = at - days_ago * DAY
        run(c.RegisterCustomer, cid, cid)
        run(c.RecordCharge, f"{cid}-ch", f"{cid}-ch", cid, Money.of(amount, currency), when,
            "demo subscription")  # fmt: skip
        run(c.RecordPayment, f"{cid}-pay", f"{cid}-pay", cid, Money.of(amount, currency),
            method, "demo", when)  # fmt: skip
    seeded: dict[str, Any] = {"customers": [cid for cid, *_ in CUSTOMERS]}
    if policy.wallet is not None:
        run(c.TopUpWallet, "demo-alice-topup", "demo-alice-topup", "demo-alice",
            Money.of("500.00", currency), Method.eft, "demo", at - DAY)  # fmt: skip
        seeded["wallet"] = "demo-alice"
    if policy.credits is not None:
        seeded["lots"] = _lots(run, at, policy.credits.valid_days or 30, currency)
    seeded["subscriptions"] = _subscriptions(bus, tenant_id, at)
    return seeded


def _lots(run: Callable[..., object], at: datetime, valid_days: int, currency: str) -> list[str]:
    """One lot bought so long ago that it expires a day after the anchor, one fresh."""
    made = []
    for lot_id, cid, age in (("demo-lot-expiring", "demo-alice", valid_days - 1),
                             ("demo-lot-fresh", "demo-bob", 2)):  # fmt: skip
        run(c.BuyCreditLot, lot_id, lot_id, cid, 1000, Money.of("100.00", currency),
            LotSource.purchase, at - age * DAY)  # fmt: skip
        made.append(lot_id)
    return made


def _subscriptions(bus: MessageBus, tenant_id: str, at: datetime) -> dict[str, str]:
    from refundable.service.subscription_seed import seed_demo_subscriptions

    return seed_demo_subscriptions(bus, tenant_id, at)


def seed_demo_cases(bus: MessageBus, first_start: datetime) -> list[str]:
    """Open cases in every state, one about to breach (the cases part's seed, when it is
    installed), timed from the first start so that a restart replays them."""
    try:
        module = importlib.import_module("refundable.service.case_seed")
    except ModuleNotFoundError:
        return []
    made: list[str] = module.seed_demo_cases(bus, first_start)
    return made


def _runner(bus: MessageBus, tenant_id: str) -> Callable[..., object]:
    def run(command: type[c.Command], key: str, *args: object) -> object:
        return bus.handle(command(tenant_id, f"demo:{key}", *args))  # type: ignore[call-arg]

    return run
