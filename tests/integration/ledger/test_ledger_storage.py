"""What the database itself guarantees, and the exports, on both stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ledger_helpers import at, card_payment, lot, refund, zar
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from refundable.adapters.db.schema import APPEND_ONLY, metadata
from refundable.bootstrap import App
from refundable.ledger.export import from_csv, to_beancount, to_csv
from refundable.service import commands as c

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def _raw(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            sql, tuple(params.values()) if engine.dialect.name == "sqlite" else params
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE lines SET amount = amount + 1 WHERE tenant_id = {p}",
        "DELETE FROM lines WHERE tenant_id = {p}",
        "UPDATE entries SET memo = 'edited' WHERE tenant_id = {p}",
        "DELETE FROM entries WHERE tenant_id = {p}",
        "DELETE FROM usage_allocations WHERE tenant_id = {p}",
        "UPDATE hold_releases SET resolution = 'won' WHERE tenant_id = {p}",
        "DELETE FROM hold_releases WHERE tenant_id = {p}",
    ],
)
def test_database_refuses_to_change_posted_rows(app: App, tenant: str, sql: str) -> None:
    lot(app, tenant, "C1", "L1", 10, "1.00")
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 2, at(1)))
    card_payment(app, tenant, "C2", "10.00", "p1")
    app.ledger.handle(c.RecordChargeback(tenant, "cb1", "d1", "p1", zar("10"), at(2)))
    app.ledger.handle(c.ReleaseHold(tenant, "rel1", "hold-d1", at(3), c.HoldResolution.lost))
    before = app.queries.journal(tenant)
    holds = app.queries.holds_of(tenant, "C2")
    mark = "?" if app.db.dialect.name == "sqlite" else "%(t)s"
    with pytest.raises(DBAPIError, match="append-only"):
        _raw(app.db, sql.format(p=mark), t=tenant)
    assert app.queries.journal(tenant) == before
    assert len(app.queries.lots_of_event(tenant, "ev1")) == 1
    assert app.queries.holds_of(tenant, "C2") == holds and holds[0].resolution == "lost"


def test_migrations_build_exactly_the_schema_the_code_uses(app: App) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_csv_export_round_trips(app: App, tenant: str) -> None:
    card_payment(app, tenant, "C1", "120.50", "p1")
    lot(app, tenant, "C1", "L1", 10, "3.33")
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 3, at(1)))
    journal = app.queries.journal(tenant)
    assert len(journal) == 4
    assert from_csv(to_csv(journal)) == journal


def test_beancount_export_passes_bean_check(app: App, tenant: str, tmp_path: Path) -> None:
    card_payment(app, tenant, "C1", "120.50", "p1")
    card_payment(app, tenant, "acme_co", "10.00", "p2")
    lot(app, tenant, "C1", "L1", 10, "3.33")
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 3, at(1)))
    refund(app, tenant, "rf1", "r1", "p1", "20.50", when=at(2))
    app.ledger.handle(c.ExpireLots(tenant, "x1", at(days=31)))
    path = tmp_path / "ledger.beancount"
    path.write_text(to_beancount(app.queries.journal(tenant)))
    done = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.beancount"
    broken.write_text(path.read_text().replace("120.50 ZAR", "120.51 ZAR", 1))
    bad = subprocess.run(
        [str(BEAN_CHECK), str(broken)], capture_output=True, text=True, check=False
    )
    assert bad.returncode != 0  # the check can fail: it really balances our numbers


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["lines", "hold_releases"])
def test_postgresql_refuses_truncate_of_the_journal(
    postgresql_app: App, tenant: str, table: str
) -> None:
    lot(postgresql_app, tenant, "C1", "L1", 10, "1.00")
    with pytest.raises(DBAPIError, match="append-only"):
        _raw(postgresql_app.db, f"TRUNCATE {table}")
    assert len(postgresql_app.queries.journal(tenant)) == 1


def test_every_append_only_table_has_its_triggers(app: App) -> None:
    """Each table schema.APPEND_ONLY names is guarded by the migrations (a table added to the
    list without a migration installing its triggers fails here)."""
    if app.db.dialect.name == "sqlite":
        sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
        wanted = {(t, f"{t}_no_{verb}") for t in APPEND_ONLY for verb in ("update", "delete")}
    else:
        sql = "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
        wanted = {(t, f"{t}_{k}") for t in APPEND_ONLY for k in ("append_only", "no_truncate")}
    with app.db.connect() as conn:
        found = {(str(a), str(b)) for a, b in conn.exec_driver_sql(sql)}
    assert wanted <= found


def test_a_batch_of_many_entries_moves_every_balance_by_its_lines(app: App, tenant: str) -> None:
    """An expiry or usage batch posts thousands of lines in one call; on PostgreSQL they go in
    multi-row statements (the balance trigger then runs once per statement). Every account,
    the shared one touched by each entry and each customer's own, ends at its lines' sum."""
    from refundable.adapters.db.repository import SqlJournal
    from refundable.adapters.db.statements import LINES_PER_STATEMENT
    from refundable.core.time import FixedClock
    from refundable.ledger import accounts as chart
    from refundable.ledger.entries import EntryKind, JournalEntry, Line

    shared = chart.tenant_account(chart.Kind.credits_issued, chart.CREDIT_UNIT)

    def entry(i: int) -> JournalEntry:
        n = 3 + i % 4
        lines = (Line(shared, n), Line(chart.credit_lots(f"M{i % 7}"), -n, f"LOT{i}"))
        return JournalEntry(f"many-{i}", tenant, EntryKind.lot_purchase, at(1), lines, "many")

    # more than two statements' worth of lines
    entries = [entry(i) for i in range(LINES_PER_STATEMENT + 137)]
    with app.bus.uow_factory() as uow:
        SqlJournal(uow._conn, tenant, FixedClock(at(1))).post(entries, None)  # type: ignore[arg-type]
        uow.commit()
    assert app.queries.balance(tenant, shared) == sum(3 + i % 4 for i in range(len(entries)))
    for k in range(7):
        want = sum(3 + i % 4 for i in range(len(entries)) if i % 7 == k)  # on its credit side
        assert app.queries.balance(tenant, chart.credit_lots(f"M{k}")) == want
    assert len(app.queries.journal(tenant)) == len(entries)
