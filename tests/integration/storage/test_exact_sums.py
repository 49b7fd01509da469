"""Sums over the journal stay exact on both stores even when a running total passes 2^63
(SQLite's sum() raises "integer overflow" then, although every line and the final total are
within the limits)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection
from storage_helpers import at

from refundable.adapters.db import schema as t
from refundable.adapters.db.append_only import SQLITE_BALANCES_FROM_LINES
from refundable.adapters.db.rows import to_us
from refundable.bootstrap import App
from refundable.ledger import accounts as chart

BIG = 9 * 10**17  # below MAX_AMOUNT_MINOR: a line the limits allow


def _balance_trigger(conn: Connection, on: bool) -> None:
    """The trigger on ``lines`` (0007) would refuse these raw lines: their running total passes
    the account's balance limit. This test is about the journal sums, so it writes around it."""
    if conn.dialect.name == "postgresql":
        verb = "ENABLE" if on else "DISABLE"
        conn.exec_driver_sql(f"ALTER TABLE lines {verb} TRIGGER lines_move_balances")
    else:
        conn.exec_driver_sql(
            SQLITE_BALANCES_FROM_LINES if on else "DROP TRIGGER lines_move_balances"
        )


def test_balance_as_of_sums_exactly_past_a_64_bit_running_total(app: App, tenant: str) -> None:
    wallet = chart.wallet("C1", "ZAR")
    amounts = [BIG] * 11 + [-BIG] * 11 + [5]  # running total reaches 9.9e18 > 2^63 - 1
    with app.db.begin() as conn:
        _balance_trigger(conn, on=False)
        for n, amount in enumerate(amounts):
            conn.execute(
                t.entries.insert(),
                {"tenant_id": tenant, "entry_id": f"e{n}", "kind": "charge",
                 "effective_us": to_us(at(1)), "recorded_us": to_us(at(1)), "memo": "raw"},
            )  # fmt: skip
            conn.execute(
                t.lines.insert(),
                {"tenant_id": tenant, "entry_id": f"e{n}", "line_no": 0, "account": wallet.code,
                 "commodity": "ZAR", "amount": amount},
            )  # fmt: skip
        _balance_trigger(conn, on=True)
    assert app.queries.balance(tenant, wallet, as_of=at(2)) == wallet.natural(5) * Decimal("0.01")
