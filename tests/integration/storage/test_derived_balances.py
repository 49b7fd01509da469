"""Account balances are derived from the journal by the database (issue 8, ADR 0041).

The runtime role could set a wallet balance to any value within the limit and then overdraw
past the floor check. Now a trigger on ``lines`` moves the balances and the application never
writes one, so a balance always equals the sum of its account's lines, whoever inserted them.
"""

from __future__ import annotations

import pytest
from storage_helpers import console, history, is_sqlite, mark, run_sql, snapshot, top_up

from refundable.bootstrap import App
from refundable.ledger import accounts as chart

SUMS = (
    "SELECT a.code, a.balance, COALESCE(SUM(l.amount), 0) FROM accounts a "
    "LEFT JOIN lines l ON l.tenant_id = a.tenant_id AND l.account = a.code "
    "WHERE a.tenant_id = {p} GROUP BY a.code, a.balance ORDER BY a.code"
)


def _balances_and_sums(app: App, tenant: str) -> list[tuple[str, int, int]]:
    with app.db.connect() as conn:
        found = conn.exec_driver_sql(SUMS.format(p=mark(app)), {"t": tenant}).all()
    return [(code, int(balance), int(total)) for code, balance, total in found]


def test_every_balance_equals_the_sum_of_its_lines(app: App, tenant: str) -> None:
    history(app, tenant)
    top_up(app, tenant, "C4", "25.00", "p9")
    found = _balances_and_sums(app, tenant)
    assert len(found) > 5
    assert [(code, total) for code, _, total in found] == [(code, b) for code, b, _ in found]
    wallet = chart.wallet("C4", "ZAR").code
    assert (wallet, -2500, -2500) in found  # a liability: the natural 25.00 is stored negated


def test_a_raw_journal_insert_moves_the_balances_in_one_statement(app: App, tenant: str) -> None:
    """Lines inserted around the application (several on one account in one statement) move
    their accounts exactly as a posting does."""
    top_up(app, tenant, "C1", "10.00", "p1")
    wallet, bank = chart.wallet("C1", "ZAR").code, "clearing/bank/ZAR"
    before = dict((code, b) for code, b, _ in _balances_and_sums(app, tenant))
    p = "?" if is_sqlite(app) else "%s"
    with console(app) as raw:
        cur = raw.cursor()
        if is_sqlite(app):
            cur.execute("BEGIN")
        cur.execute(
            "INSERT INTO entries (tenant_id, entry_id, kind, effective_us, recorded_us, memo) "
            f"VALUES ({p}, 'raw1', 'top_up', 0, 0, 'raw')",
            (tenant,),
        )
        cur.execute(
            "INSERT INTO lines (tenant_id, entry_id, line_no, account, commodity, amount) VALUES "
            f"({p}, 'raw1', 0, {p}, 'ZAR', 300), ({p}, 'raw1', 1, {p}, 'ZAR', 200), "
            f"({p}, 'raw1', 2, {p}, 'ZAR', -500)",
            (tenant, bank, tenant, bank, tenant, wallet),
        )
        if is_sqlite(app):
            cur.execute("COMMIT")
        else:
            raw.commit()
    after = {code: (b, total) for code, b, total in _balances_and_sums(app, tenant)}
    assert after[bank] == (before[bank] + 500,) * 2
    assert after[wallet] == (before[wallet] - 500,) * 2


def test_a_line_on_a_missing_account_is_refused(app: App, tenant: str) -> None:
    top_up(app, tenant, "C1", "10.00", "p1")
    before = snapshot(app.db, tenant, ["lines", "accounts"])
    with pytest.raises(Exception, match="derived: a journal line names"):
        run_sql(
            app,
            "INSERT INTO lines (tenant_id, entry_id, line_no, account, commodity, amount) "
            f"VALUES ({mark(app)}, 'nowhere', 0, 'wallet/nobody/ZAR', 'ZAR', 100)",
            tenant,
        )
    assert snapshot(app.db, tenant, ["lines", "accounts"]) == before
