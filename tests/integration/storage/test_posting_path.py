"""The posting path on prebuilt statements (ADR 0044) and lines that carry their entry's
instant (ADR 0045), on SQLite and PostgreSQL: the rows written are the rows read back, an
account made by a posting that rolled back is made again, the migration fills the instant of
existing lines and keeps ``lines`` append-only, and a statement page is exactly the newest
part of the whole statement, ties and backdated postings included."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from storage_helpers import T0, at, card_payment, top_up, zar

from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import make_engine, migrate
from refundable.adapters.db.rows import to_us
from refundable.adapters.db.uow import SqlUnitOfWork
from refundable.bootstrap import App
from refundable.core.time import FixedClock
from refundable.ledger import accounts as chart
from refundable.ledger import money_ops
from refundable.service import commands as c


def _history(app: App, tenant: str) -> None:
    """Charges, payments and top-ups for C1, several at one instant, some backdated."""
    h = app.ledger.handle
    for n, hours in enumerate([5, 1, 5, 3, 5, 0, 2, 5, 1]):
        h(c.RecordCharge(tenant, f"ch{n}", f"i{n}", "C1", zar(f"{n + 10}"), at(hours)))
        card_payment(app, tenant, "C1", f"{n + 1}", f"p{n}")  # at T0: ties with the backdated
    top_up(app, tenant, "C1", "7", "w1")


def test_lines_carry_the_effective_instant_of_their_entry(app: App, tenant: str) -> None:
    _history(app, tenant)
    e, ln = t.entries.c, t.lines.c
    stmt = (
        select(ln.effective_us, e.effective_us)
        .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
        .where(ln.tenant_id == tenant)
    )
    with app.db.connect() as conn:
        pairs = conn.execute(stmt).all()
    assert len(pairs) >= 2 * 19  # every entry has at least two lines
    assert all(line == entry for line, entry in pairs)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 13, 19, 40])
def test_a_statement_page_is_the_newest_part_of_the_whole_statement(
    app: App, tenant: str, limit: int
) -> None:
    _history(app, tenant)
    whole = app.queries.statement(tenant, "C1")
    page = app.queries.statement(tenant, "C1", limit=limit)
    moves = [x for x in whole if x.balance is not None]
    assert [x for x in page if x.balance is not None] == moves[-limit:]


def test_an_account_made_by_a_posting_that_rolled_back_is_made_again(app: App, tenant: str) -> None:
    """One pooled connection for both units of work: the first creates the account row and
    is rolled back, so the second must not take the row for granted."""
    engine = make_engine(app.db.url.render_as_string(hide_password=False), pool_size=1,
                         max_overflow=0)  # fmt: skip
    clock = FixedClock(T0)
    charge = money_ops.charge("e-new", tenant, "C9", zar("4"), T0, "inv9", "")
    with pytest.raises(RuntimeError), SqlUnitOfWork(engine, clock) as uow:
        uow.repositories(tenant).journal.post([charge], "k1")
        raise RuntimeError("the command failed after posting")
    with SqlUnitOfWork(engine, clock) as uow:
        uow.repositories(tenant).journal.post([charge], "k1")
        uow.commit()
    engine.dispose()
    assert app.queries.balance(tenant, chart.receivable("C9", "ZAR")) == zar("4").amount


def _line(tenant: str, eid: str, no: int, account: str, amount: int) -> dict[str, Any]:
    return {"tenant_id": tenant, "entry_id": eid, "line_no": no, "account": account,
            "commodity": "ZAR", "amount": amount, "lot_id": None}  # fmt: skip


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_migration_fills_the_instant_of_existing_lines_and_keeps_them_append_only(
    store: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"fresh_{'pg' if store == 'postgresql' else store}_url")
    engine = make_engine(url)
    migrate(engine, "0008_balance_checkpoints")
    with engine.begin() as conn:
        for code, kind in (("receivable/C1/ZAR", "receivable"), ("revenue/ZAR", "revenue")):
            conn.execute(
                t.accounts.insert().values(
                    tenant_id="t1", code=code, kind=kind, commodity="ZAR", owner=None, balance=0
                )
            )
        for n, hours in enumerate([3, 1]):
            conn.execute(text(
                "INSERT INTO entries (tenant_id, entry_id, kind, effective_us, recorded_us, "
                "memo, ref) VALUES ('t1', :e, 'charge', :us, :us, '', :e)"
            ), {"e": f"e{n}", "us": to_us(at(hours))})  # fmt: skip
            for line in (_line("t1", f"e{n}", 0, "receivable/C1/ZAR", 100),
                         _line("t1", f"e{n}", 1, "revenue/ZAR", -100)):  # fmt: skip
                conn.execute(text(
                    "INSERT INTO lines (tenant_id, entry_id, line_no, account, commodity, "
                    "amount, lot_id) VALUES (:tenant_id, :entry_id, :line_no, :account, "
                    ":commodity, :amount, :lot_id)"
                ), line)  # fmt: skip
    migrate(engine)
    ln = t.lines.c
    with engine.connect() as conn:
        found = conn.execute(select(ln.entry_id, ln.effective_us).order_by(ln.entry_id)).all()
    assert sorted(set(found)) == [("e0", to_us(at(3))), ("e1", to_us(at(1)))]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE lines SET amount = 0"))
    engine.dispose()
