"""One customer's charges, newest first, read from the store (the portal's request form):
every charge posted to the customer's receivable accounts whatever its memo, in any currency,
none of another customer's, bounded with a flag saying more exist. Same answer on SQLite,
PostgreSQL and the in-memory store."""

from __future__ import annotations

from datetime import timedelta

from fakes import T0, customer, memory_app, open_tenant
from refundable.bootstrap import App
from refundable.core.money import Money
from refundable.service import commands as c


def _charges(app: App, tenant: str) -> None:
    customer(app, tenant, "A")
    customer(app, tenant, "B")
    made = [("a-old", "A", "ZAR", 3, "charge a-old"), ("a-usd", "A", "USD", 2, "api: setup"),
            ("a-new", "A", "ZAR", 1, "demo-basic 2026-12-01 (clause 3.2)"),
            ("b-1", "B", "ZAR", 0, "charge b-1")]  # fmt: skip
    for ch, who, cur, days_ago, memo in made:
        at = T0 - timedelta(days=days_ago)
        app.bus.handle(c.RecordCharge(tenant, f"k-{ch}", ch, who, Money.of("10.00", cur), at,
                                      memo))  # fmt: skip


def _check(app: App, tenant: str) -> None:
    page = app.resources.charges_of(tenant, "A", 10)
    assert [x.charge_id for x in page.items] == ["a-new", "a-usd", "a-old"]
    assert not page.has_more
    assert page.items[1].amount == Money.of("10.00", "USD")
    assert page.items[0].memo == "demo-basic 2026-12-01 (clause 3.2)"
    first = app.resources.charges_of(tenant, "A", 2)
    assert [x.charge_id for x in first.items] == ["a-new", "a-usd"] and first.has_more
    assert app.resources.charges_of(tenant, "nobody", 5).items == []


def test_a_customers_charges_newest_first(app: App, tenant: str) -> None:
    _charges(app, tenant)
    _check(app, tenant)


def test_the_memory_store_answers_the_same() -> None:
    app = memory_app()
    tenant = "tmem"
    open_tenant(app, tenant)
    _charges(app, tenant)
    _check(app, tenant)
