"""Counters that guard money are held to the append-only rows they summarise.

The probe reset ``payments.refunded_minor`` to 0 and a second full refund went through. The
payment's counters must now equal the sum of its ``payment_returns`` rows, the rest of a
payment never changes, and accounts keep their identity and a bounded balance.
"""

from __future__ import annotations

import pytest
from storage_helpers import (
    at,
    card_payment,
    is_sqlite,
    mark,
    refund,
    run_sql,
    snapshot,
    top_up,
    zar,
)

from refundable.bootstrap import App
from refundable.core.errors import OverRefund
from refundable.core.limits import MAX_BALANCE_MINOR
from refundable.ledger import accounts as chart
from refundable.service import commands as c


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payments SET refunded_minor = 0 WHERE tenant_id = {p}",
        "UPDATE payments SET charged_back_minor = refunded_minor WHERE tenant_id = {p}",
        "UPDATE payments SET refunded_minor = refunded_minor + 1 WHERE tenant_id = {p}",
    ],
)
def test_payment_counters_cannot_be_rewritten(app: App, tenant: str, sql: str) -> None:
    card_payment(app, tenant, "C1", "100.00", "p1")
    refund(app, tenant, "rf1", "r1", "p1", "100.00", when=at(1))
    before = snapshot(app.db, tenant, ["payments", "payment_returns"])
    with pytest.raises(Exception, match="derived: payments counters"):
        run_sql(app, sql.format(p=mark(app)), tenant)
    assert snapshot(app.db, tenant, ["payments", "payment_returns"]) == before
    with pytest.raises(OverRefund):
        refund(app, tenant, "rf2", "r2", "p1", "100.00", when=at(2))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payments SET amount_minor = amount_minor * 2 WHERE tenant_id = {p}",
        "UPDATE payments SET source_account = funded_account WHERE tenant_id = {p}",
        "DELETE FROM payments WHERE tenant_id = {p}",
        "UPDATE accounts SET owner = 'someone-else' WHERE tenant_id = {p}",
        "UPDATE accounts SET code = code || 'x' WHERE tenant_id = {p}",
        "DELETE FROM accounts WHERE tenant_id = {p}",
    ],
)
def test_payments_and_accounts_keep_their_identity(app: App, tenant: str, sql: str) -> None:
    card_payment(app, tenant, "C1", "100.00", "p1")
    tables = ["payments", "accounts"]
    before = snapshot(app.db, tenant, tables)
    with pytest.raises(Exception, match="append-only"):
        run_sql(app, sql.format(p=mark(app)), tenant)
    assert snapshot(app.db, tenant, tables) == before


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["payments", "accounts"])
def test_postgresql_refuses_truncate_of_payments_and_accounts(
    postgresql_app: App, tenant: str, table: str
) -> None:
    card_payment(postgresql_app, tenant, "C1", "100.00", "p1")
    with pytest.raises(Exception, match="append-only"):
        run_sql(postgresql_app, f"TRUNCATE {table}", tenant)
    assert snapshot(postgresql_app.db, tenant, [table])[table]


def test_counters_still_follow_refunds_and_chargebacks(app: App, tenant: str) -> None:
    """The guard lets the service do its job: partial refunds and a chargeback add up."""
    card_payment(app, tenant, "C1", "100.00", "p1")
    refund(app, tenant, "rf1", "r1", "p1", "30.00", when=at(1))
    refund(app, tenant, "rf2", "r2", "p1", "20.00", when=at(2))
    app.ledger.handle(c.RecordChargeback(tenant, "cb1", "d1", "p1", zar("50.00"), at(3)))
    with pytest.raises(OverRefund):
        refund(app, tenant, "rf3", "r3", "p1", "0.01", when=at(4))
    with app.db.connect() as conn:
        counters = conn.exec_driver_sql(
            f"SELECT refunded_minor, charged_back_minor FROM payments WHERE "
            f"tenant_id = {mark(app)}",
            {"t": tenant},
        ).one()
    assert tuple(counters) == (5000, 5000)


def test_a_balance_past_the_limit_is_refused_by_the_database(app: App, tenant: str) -> None:
    """A balance that would pass ±MAX_BALANCE_MINOR (or, on SQLite, become a float) is refused,
    however it is written."""
    top_up(app, tenant, "C1", "10.00", "p1")
    code = chart.wallet("C1", "ZAR").code
    p = mark(app)
    for value in (
        MAX_BALANCE_MINOR + 1,
        -MAX_BALANCE_MINOR - 1,
        "1.0e19" if is_sqlite(app) else 2**63 - 1,
    ):
        before = snapshot(app.db, tenant, ["accounts"])
        with pytest.raises(Exception, match=r"limit|out of range|violates check"):
            run_sql(
                app,
                f"UPDATE accounts SET balance = {value} WHERE tenant_id = {p} AND code = '{code}'",
                tenant,
            )
        assert snapshot(app.db, tenant, ["accounts"]) == before
