"""A customer's statement and a tenant's customers read a page at a time from the store (ADR
0083), on SQLite, PostgreSQL and in memory: the statement's pages, walked with every page size,
give exactly the whole statement (order, running balances, refunds to the payment's source)
with a unique cursor per line; the customers are those registered or named by a record."""

from __future__ import annotations

from typing import Any

from storage_helpers import T0, at, card_payment, top_up, zar

from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.time import FixedClock
from refundable.service import commands as c


def _movements(app: App, tenant: str) -> None:
    """Ties at one instant, charges among payments, backdated entries, a wallet top-up."""
    for n, hours in enumerate([5, 1, 5, 3, 5, 0, 2, 5, 1]):
        app.ledger.handle(c.RecordCharge(tenant, f"ch{n}", f"i{n}", "C1", zar(f"{n + 10}"),
                                         at(hours)))  # fmt: skip
        card_payment(app, tenant, "C1", f"{n + 1}", f"p{n}")
    top_up(app, tenant, "C1", "7", "w1")
    app.ledger.handle(c.RecordCharge(tenant, "chx", "ix", "C2", zar("5"), at(1)))


def _shown(x: Any) -> tuple[Any, ...]:
    return (x.entry_id, x.account, x.amount, x.balance)


def _check(app: App, tenant: str) -> None:
    whole = app.queries.statement(tenant, "C1")
    assert len(whole) >= 19
    for size in (1, 2, 3, 7, 100):
        seen: list[Any] = []
        after = None
        for _ in range(100):
            page = app.queries.statement_page(tenant, "C1", after, size)
            assert page is not None and len(page.items) <= size
            seen += page.items
            if not page.has_more:
                break
            after = page.items[-1].line_id
        assert [_shown(x) for x in seen] == [_shown(x) for x in whole], size
        assert len({x.line_id for x in seen}) == len(seen)
    assert app.queries.statement_page(tenant, "C1", "no-such-line", 5) is None


def _check_customers(app: App, tenant: str) -> None:
    from refundable.entrypoints.api.state import stores_for

    resources = stores_for(app)[2]
    app.ledger.handle(c.RegisterCustomer(tenant, "reg", "A0", None, None, False))
    everyone = ["A0", "C1", "C2"]
    for size in (1, 2, 100):
        seen: list[str] = []
        after = None
        while True:
            page = resources.customers(tenant, size, after)
            seen += [p.customer_id for p in page.items]
            if not page.has_more:
                break
            after = seen[-1]
        assert seen == everyone, size
    assert resources.known_customers(tenant, ["C2", "nobody", "A0"]) == {"C2", "A0"}
    assert resources.customer(tenant, "C2") is not None
    assert resources.customer(tenant, "nobody") is None


def test_statement_and_customer_pages(app: App, tenant: str) -> None:
    _movements(app, tenant)
    _check(app, tenant)
    _check_customers(app, tenant)


def test_statement_and_customer_pages_in_memory() -> None:
    from fakes import open_tenant

    app = bootstrap(MEMORY_URL, FixedClock(T0))
    open_tenant(app, "t1")
    _movements(app, "t1")
    _check(app, "t1")
    _check_customers(app, "t1")
