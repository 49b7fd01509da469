"""Every value the limits allow is stored exactly on both stores; every value past them is
refused with our own error before anything is written (issue 8: two top-ups of
50,000,000,000,000,000.00 turned a SQLite balance into the float 1.0e19 and broke every later
sum with "integer overflow"; PostgreSQL answered with a raw DataError)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from storage_helpers import T0, at, card_payment, is_sqlite, mark, zar

from refundable.adapters.db import schema as t
from refundable.bootstrap import App
from refundable.core.errors import InputError, LimitExceeded
from refundable.core.limits import MAX_AMOUNT, MAX_BALANCE_MINOR, MAX_ID_LENGTH
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.service import commands as c

BIGGEST = MAX_AMOUNT - Money.of("0.01", "ZAR").amount  # the largest ZAR amount allowed


def _top_up(app: App, tenant: str, n: int, amount: Money) -> None:
    app.ledger.handle(
        c.TopUpWallet(tenant, f"top-{n}", f"p{n}", "C1", amount, Method.eft, "bank", T0)
    )


def _rows(app: App, tenant: str, table: Table) -> int:
    with app.engine.connect() as conn:
        found = conn.execute(select(func.count()).where(table.c.tenant_id == tenant)).scalar()
    return int(found or 0)


def test_the_probes_two_huge_top_ups_are_refused_and_sums_stay_exact(app: App, tenant: str) -> None:
    _top_up(app, tenant, 0, zar("10.00"))
    for n in (1, 2):
        with pytest.raises(InputError):
            _top_up(app, tenant, n, zar("50000000000000000.00"))
    assert len(app.queries.journal(tenant)) == 1
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR"), as_of=at(1)) == zar("10").amount


def test_balances_up_to_the_limit_stay_exact_integers_and_past_it_are_refused(
    app: App, tenant: str
) -> None:
    """Top-ups of the largest amount allowed until the balance limit: every balance and every
    SUM over the tenant stays an exact integer; the top-up that would pass it is refused."""
    biggest = Money.of(BIGGEST, "ZAR")
    n = MAX_BALANCE_MINOR // biggest.to_minor()
    for i in range(n):
        _top_up(app, tenant, i, biggest)
    with pytest.raises(LimitExceeded, match="balance"):
        _top_up(app, tenant, n, biggest)
    expected = biggest.amount * n
    wallet = chart.wallet("C1", "ZAR")
    assert app.queries.balance(tenant, wallet) == expected
    assert app.queries.balance(tenant, wallet, as_of=at(1)) == expected  # SUM over the lines
    assert len(app.queries.journal(tenant)) == n
    if is_sqlite(app):
        with app.engine.connect() as conn:
            kinds = conn.exec_driver_sql(
                f"SELECT DISTINCT typeof(balance) FROM accounts WHERE tenant_id = {mark(app)}",
                {"t": tenant},
            ).all()
        assert kinds == [("integer",)]


def _line(**change: Any) -> dict[str, Any]:
    row = {"entry_id": "e1", "line_no": 0, "account": "wallet/C1/ZAR", "commodity": "ZAR"}
    return {"amount": 1, "lot_id": None, **row, **change}


CASES: list[tuple[str, Table, dict[str, Any]]] = [
    ("2^63 minor units", t.lines, _line(amount=2**63)),
    ("5e18 minor units (the probe)", t.lines, _line(amount=5 * 10**18)),
    ("-2^63 minor units", t.lines, _line(amount=-(2**63))),
    ("a 65-character id", t.lines, _line(entry_id="e" * (MAX_ID_LENGTH + 1))),
    ("a 201-character account code", t.lines, _line(account="a" * 201)),
    (
        "10^19 units",
        t.usage_events,
        {"event_id": "ev", "customer_id": "C1", "units": 10**19, "occurred_us": 0, "entry_id": "e"},
    ),
    (
        "a priority past 32 bits",
        t.lots,
        {
            **dict.fromkeys(("lot_id", "customer_id", "unit", "currency", "entry_id"), "x"),
            **dict.fromkeys(("units", "remaining", "price_minor", "value_left_minor"), 1),
            **dict.fromkeys(("valid_until_us", "acquired_us"), 0),
            "source": "purchase",
            "status": "open",
            "priority": 2**31,
        },
    ),
    (
        "the year 1",
        t.holds,
        {"hold_id": "h", "customer_id": "C1", "reason": "r", "placed_us": -62135596800000000},
    ),
    (
        "the year 9999",
        t.holds,
        {"hold_id": "h", "customer_id": "C1", "reason": "r", "placed_us": 253402300799000000},
    ),
]


@pytest.mark.parametrize(("what", "table", "row"), CASES, ids=[w for w, _, _ in CASES])
def test_out_of_range_values_are_refused_at_the_storage_boundary(
    app: App, tenant: str, what: str, table: Table, row: dict[str, Any]
) -> None:
    """Written around the service (as a buggy handler or script would): our LimitExceeded on
    both stores, never a DataError, an OverflowError or a silently stored value."""
    with pytest.raises(LimitExceeded), app.engine.begin() as conn:
        conn.execute(table.insert(), {"tenant_id": tenant, **row})
    assert _rows(app, tenant, table) == 0


def test_instants_are_bounded_on_reads_too(app: App, tenant: str) -> None:
    with pytest.raises(LimitExceeded, match="instant"):
        app.queries.balances(tenant, as_of=datetime(9999, 1, 1, tzinfo=UTC))


def test_a_derived_id_past_the_column_is_the_same_error_on_both_stores(
    app: App, tenant: str
) -> None:
    """A 64-character dispute id names a hold ``hold-<id>``: before, PostgreSQL raised a
    DataError and SQLite stored it. Now both refuse it alike, or (once derived ids are hashed)
    both store an id that fits."""
    card_payment(app, tenant, "C1", "50.00", "p1")
    dispute = "d" * MAX_ID_LENGTH
    before = len(app.queries.journal(tenant))
    try:
        app.ledger.handle(c.RecordChargeback(tenant, "cb1", dispute, "p1", zar("50"), at(1)))
    except InputError:
        assert len(app.queries.journal(tenant)) == before and _rows(app, tenant, t.holds) == 0
    else:
        with app.engine.connect() as conn:
            ids = conn.execute(select(t.holds.c.hold_id).where(t.holds.c.tenant_id == tenant))
            assert all(len(h) <= MAX_ID_LENGTH for (h,) in ids)
