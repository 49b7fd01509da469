"""What the current period costs and was charged (ADR 0069), on SQLite and PostgreSQL: it
survives a write and a read, a discounted renewal stores its discounted charge, and a row from
before migration 0022 (the columns NULL) reads as the plan's cycle price."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lifecycle_support import CONEK_PLANS, START, days, define_plans, open_policy_tenant, pay, zar
from pgdb import new_pg_database
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import make_engine, migrate
from refundable.adapters.db.repository_subscriptions import subscription_row
from refundable.billing.events import StartTrial, Subscribe
from refundable.billing.plans import AddOn, Cycle, Plan
from refundable.billing.policy import lifecycle_rules
from refundable.billing.records import SubscriptionRecord
from refundable.billing.transitions import apply
from refundable.bootstrap import App
from refundable.config import shipped_policies_dir
from refundable.policy.loader import load_policy_text
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

_CONEK = (shipped_policies_dir() / "conek.yaml").read_text()
CONEK = lifecycle_rules(load_policy_text(_CONEK, "conek.yaml").document)
assert CONEK is not None


def _with_uow(app: App, tenant: str, fn):  # type: ignore[no-untyped-def]
    with app.bus.uow_factory() as uow:
        out = fn(uow.repositories(tenant))
        uow.commit()
        return out


def test_the_period_price_and_charge_survive_a_write_and_a_read(app: App) -> None:
    tenant = open_policy_tenant(app, "conek")
    define_plans(app, tenant, CONEK_PLANS)
    app.bus.handle(c.Subscribe(tenant, "s1", "S1", "C1", "growth", START))
    stored = app.subscriptions.record(tenant, "S1")
    assert stored is not None
    assert stored.subscription.billing.period_charged == zar("620.00")  # set by the charge
    bill = replace(stored.subscription.billing, period_price=zar("432.10"),
                   period_charged=zar("123.45"))  # fmt: skip
    record = replace(
        stored, subscription=replace(stored.subscription, billing=bill), version=stored.version + 1
    )
    _with_uow(app, tenant, lambda r: r.subscriptions.save(record))
    again = app.subscriptions.record(tenant, "S1")
    assert again == record
    assert again is not None and again.subscription.billing.period_charged == zar("123.45")


def test_a_discounted_renewal_stores_what_it_charged(app: App) -> None:
    tenant = open_policy_tenant(app, "conek")
    define_plans(app, tenant, CONEK_PLANS)
    app.bus.handle(c.CreateTestClock(tenant, "clock", "clock", START))
    app.bus.handle(c.DefinePromotion(tenant, "p1", "HALF", discount_percent=Decimal(50)))
    app.bus.handle(c.Subscribe(tenant, "s1", "S1", "C1", "starter", START))
    pay(app, tenant, "S1", "310.00", START, "p0")
    app.bus.handle(c.ApplyPromotion(tenant, "a1", "S1", "HALF", START + days(1)))
    advance_test_clock(app.bus, app.work, tenant, "clock", START + days(32))
    rec = app.subscriptions.record(tenant, "S1")
    assert rec is not None and rec.subscription.billing.period_index == 1
    assert rec.subscription.billing.period_charged == zar("155.00")
    assert rec.subscription.billing.period_price == zar("155.00")


def test_a_row_from_before_the_columns_reads_as_the_plan_price(app: App) -> None:
    tenant = open_policy_tenant(app, "conek")
    define_plans(app, tenant, CONEK_PLANS)
    app.bus.handle(c.Subscribe(tenant, "s1", "S1", "C1", "growth", START))
    app.bus.handle(c.StartTrial(tenant, "t1", "S2", "C2", "starter", 14, START, zar("20.00")))
    s = t.subscriptions.c
    with app.engine.begin() as conn:
        conn.execute(
            update(t.subscriptions)
            .where(s.tenant_id == tenant)
            .values(period_price_minor=None, period_charged_minor=None)
        )
    paid, trial = app.subscriptions.record(tenant, "S1"), app.subscriptions.record(tenant, "S2")
    assert paid is not None and trial is not None
    bill = paid.subscription.billing
    assert bill.period_price == bill.period_charged == paid.subscription.plan.cycle_price
    assert trial.subscription.billing.period_charged == zar("0")


@contextmanager
def _database(store: str, tmp_path: Path) -> Iterator[str]:
    if store == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with new_pg_database("refundable_0022") as url:
            yield url


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_migration_0022_backfills_existing_rows_with_the_plans_cycle_price(
    store: str, tmp_path: Path
) -> None:
    """A paid row from before 0022 was charged its plan's cycle price (add-ons included), a
    trial nothing: that is what the migration writes."""
    with _database(store, tmp_path) as url:
        found = _backfilled(url)
    assert found == {"P1": (35550, 35550), "T1": (0, 0)}


def _backfilled(url: str) -> dict[str, tuple[int, int]]:
    engine = make_engine(url)
    migrate(engine, "0021_idempotency_purge")
    addon = Plan("plus", 1, Cycle.monthly, zar("310.00"), add_ons=(AddOn("sms", zar("45.50")),))
    paid = apply(None, Subscribe(addon, key="P1"), START, CONEK)[0]
    trial = apply(None, StartTrial("T1", addon, 14, zar("0")), START, CONEK)[0]
    with engine.begin() as conn:
        for sub in (paid, trial):
            row = subscription_row(SubscriptionRecord(sub.key, "C1", sub, START))
            del row["period_price_minor"], row["period_charged_minor"]  # not there before 0022
            conn.execute(t.subscriptions.insert(), {"tenant_id": "old", **row})
    migrate(engine)
    s = t.subscriptions.c
    with engine.connect() as conn:
        found = dict(
            (r.subscription_id, (r.period_price_minor, r.period_charged_minor))
            for r in conn.execute(select(s.subscription_id, s.period_price_minor,
                                         s.period_charged_minor))
        )  # fmt: skip
    engine.dispose()
    return found
