"""Lot counters are derived from the journal by the database (issue 8, ADR 0042).

The runtime role could set ``lots.remaining``, ``value_left_minor`` and ``status`` to any
value: refill a used lot, revive an expired one, or drop the revenue still deferred. Now a
trigger on ``lines`` moves them from the lot's journal lines, and any other change (from the
service's own connection or a console session) is refused on both stores.
"""

from __future__ import annotations

import pytest
from storage_helpers import (
    at,
    console,
    history,
    is_sqlite,
    mark,
    run_sql,
    snapshot,
    zar,
)

from refundable.bootstrap import App
from refundable.core.errors import InsufficientFunds
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.ledger.lots import LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c

LOTS = (
    "SELECT lo.lot_id, lo.units, lo.remaining, lo.price_minor, lo.value_left_minor, lo.status, "
    "COALESCE(SUM(l.amount), 0) FROM lots lo LEFT JOIN lines l ON l.tenant_id = lo.tenant_id "
    "AND l.lot_id = lo.lot_id WHERE lo.tenant_id = {p} GROUP BY lo.lot_id, lo.units, "
    "lo.remaining, lo.price_minor, lo.value_left_minor, lo.status ORDER BY lo.lot_id"
)


def _lots(app: App, tenant: str) -> dict[str, tuple[int, int, str, int]]:
    """Per lot: remaining, value left, status, and minus the sum of its journal lines."""
    with app.db.connect() as conn:
        found = conn.exec_driver_sql(LOTS.format(p=mark(app)), {"t": tenant}).all()
    out = {}
    for lot_id, units, remaining, price, value_left, status, lines in found:
        assert int(value_left) == int(price) * int(remaining) // int(units), lot_id
        out[lot_id] = (int(remaining), int(value_left), status, -int(lines))
    return out


def _buy(
    app: App, tenant: str, lot_id: str, cid: str, units: int, price: str, days: int = 0
) -> None:
    app.ledger.handle(
        c.BuyCreditLot(tenant, f"lot-{lot_id}", lot_id, cid, units, zar(price),
                       LotSource.purchase, at(days=days))
    )  # fmt: skip


def _every_movement(app: App, tenant: str) -> None:
    """Lots that are open, used up, reinstated, expired and forfeited."""
    history(app, tenant)  # L1: 10 bought, 3 used, 1 reinstated in a new lot
    _buy(app, tenant, "L2", "C5", 3, "3.00")
    app.ledger.handle(c.ConsumeCredits(tenant, "u5", "ev5", "C5", 3, at(1)))  # L2 used up
    _buy(app, tenant, "L3", "C6", 7, "10.00")
    app.ledger.handle(c.ForfeitCredits(tenant, "ff6", "C6", c.ForfeitReason.termination, at(2)))
    _buy(app, tenant, "L4", "C7", 3, "1.00")
    events = tuple(UsageEvent(f"C7-e{i}", "C7", 1, at(1)) for i in range(2))
    app.ledger.handle(c.IngestUsage(tenant, events, at(1)))
    app.ledger.handle(c.ExpireLots(tenant, "x1", at(days=400)))


def test_every_lot_counter_follows_its_lines(app: App, tenant: str) -> None:
    _every_movement(app, tenant)
    found = _lots(app, tenant)
    named = {lot_id: (r, s) for lot_id, (r, _, s, _) in found.items() if lot_id.startswith("L")}
    assert named == {
        "L1": (0, "expired"), "L2": (0, "exhausted"), "L3": (0, "forfeited"), "L4": (0, "expired"),
    }  # fmt: skip
    assert all(remaining == from_lines for remaining, _, _, from_lines in found.values())
    assert len(found) == 5  # the reinstated lot too


def test_the_service_still_draws_from_the_derived_counters(app: App, tenant: str) -> None:
    _buy(app, tenant, "L1", "C1", 10, "10.00")
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 4, at(1)))
    assert _lots(app, tenant)["L1"] == (6, 600, "open", 6)
    with pytest.raises(InsufficientFunds):
        app.ledger.handle(c.ConsumeCredits(tenant, "u2", "ev2", "C1", 7, at(1)))
    app.ledger.handle(c.ConsumeCredits(tenant, "u3", "ev3", "C1", 6, at(1)))
    assert _lots(app, tenant)["L1"] == (0, 0, "exhausted", 0)


ATTACKS = [
    "UPDATE lots SET remaining = units WHERE tenant_id = {p}",  # refill what was used
    "UPDATE lots SET remaining = remaining + 1 WHERE tenant_id = {p}",
    "UPDATE lots SET remaining = remaining - 1 WHERE tenant_id = {p} AND remaining > 0",
    "UPDATE lots SET value_left_minor = 0 WHERE tenant_id = {p}",  # drop deferred revenue
    "UPDATE lots SET status = 'expired' WHERE tenant_id = {p} AND status = 'open'",
    "UPDATE lots SET status = 'open' WHERE tenant_id = {p} AND status = 'exhausted'",
    "UPDATE lots SET status = 'forfeited' WHERE tenant_id = {p} AND status = 'exhausted'",
    "UPDATE lots SET remaining = 0, value_left_minor = 0, status = 'exhausted' "
    "WHERE tenant_id = {p} AND remaining > 0",  # consistent with itself, not with the lines
    # L1 (10 units for 10.00) lost 4 in its newest line: applying that line a second time
    "UPDATE lots SET remaining = remaining - 4, value_left_minor = value_left_minor - 400 "
    "WHERE tenant_id = {p} AND lot_id = 'L1'",
    "UPDATE lots SET moved_line_no = moved_line_no + 1 WHERE tenant_id = {p}",
    "UPDATE lots SET moved_entry_id = entry_id, moved_line_no = NULL WHERE tenant_id = {p}",
]
IDENTITY = [
    "UPDATE lots SET valid_until_us = valid_until_us + 86400000000 WHERE tenant_id = {p}",
    "UPDATE lots SET customer_id = 'C9' WHERE tenant_id = {p}",
    "UPDATE lots SET units = units + 5 WHERE tenant_id = {p}",
    "UPDATE lots SET unit = 'other' WHERE tenant_id = {p}",
    "DELETE FROM lots WHERE tenant_id = {p}",
]


def _target(app: App, tenant: str) -> None:
    """An expired lot, an open lot with units used and a used-up lot."""
    _buy(app, tenant, "L3", "C3", 5, "5.00")
    app.ledger.handle(c.ExpireLots(tenant, "x1", at(days=400)))
    _buy(app, tenant, "L1", "C1", 10, "10.00", days=401)
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 4, at(days=401)))
    _buy(app, tenant, "L2", "C2", 2, "2.00", days=401)
    app.ledger.handle(c.ConsumeCredits(tenant, "u2", "ev2", "C2", 2, at(days=401)))
    assert {k: v[2] for k, v in _lots(app, tenant).items()} == {
        "L1": "open",
        "L2": "exhausted",
        "L3": "expired",
    }


@pytest.mark.parametrize("sql", ATTACKS)
def test_a_lot_counter_that_does_not_match_its_lines_is_refused(
    app: App, tenant: str, sql: str
) -> None:
    _target(app, tenant)
    before = snapshot(app.db, tenant, ["lots", "lines"])
    with pytest.raises(Exception, match="derived: a lot's remaining units"):
        run_sql(app, sql.format(p=mark(app)), tenant)
    assert snapshot(app.db, tenant, ["lots", "lines"]) == before
    with pytest.raises(InsufficientFunds):  # the 6 left are still all there is
        app.ledger.handle(c.ConsumeCredits(tenant, "u9", "ev9", "C1", 7, at(days=402)))


@pytest.mark.parametrize("sql", IDENTITY)
def test_a_lot_keeps_its_identity_and_is_never_deleted(app: App, tenant: str, sql: str) -> None:
    _target(app, tenant)
    before = snapshot(app.db, tenant, ["lots"])
    with pytest.raises(Exception, match="append-only"):
        run_sql(app, sql.format(p=mark(app)), tenant)
    assert snapshot(app.db, tenant, ["lots"]) == before


def _columns() -> str:
    return (
        "tenant_id, lot_id, customer_id, unit, units, remaining, price_minor, currency, "
        "value_left_minor, valid_until_us, source, acquired_us, priority, status, entry_id"
    )


def test_a_lot_cannot_be_conjured_or_replaced(app: App, tenant: str) -> None:
    """A lot row with no purchase line behind it, or one written over an existing lot (SQLite's
    REPLACE deletes without firing DELETE triggers), is refused."""
    _target(app, tenant)
    before = snapshot(app.db, tenant, ["lots"])
    p = mark(app)
    conjure = (
        f"INSERT INTO lots ({_columns()}) VALUES ({p}, 'free', 'C1', 'credit', 1000, 1000, 0, "
        "'ZAR', 0, 9000000000000000, 'promotion', 0, 0, 'open', 'nothing')"
    )
    with pytest.raises(Exception, match="derived: a lot's remaining units"):
        run_sql(app, conjure, tenant)
    if is_sqlite(app):
        longer = _columns().replace("valid_until_us", "valid_until_us + 86400000000")
        for verb in ("REPLACE", "INSERT OR REPLACE"):
            with pytest.raises(Exception, match="append-only"):
                run_sql(
                    app,
                    f"{verb} INTO lots ({_columns()}) SELECT {longer} FROM lots "
                    f"WHERE tenant_id = {p}",
                    tenant,
                )
    else:
        with pytest.raises(Exception, match="append-only"):
            run_sql(app, "TRUNCATE lots", tenant)
    assert snapshot(app.db, tenant, ["lots"]) == before


def test_a_lot_line_written_around_the_service_moves_its_lot(app: App, tenant: str) -> None:
    """The counters follow the journal whoever inserts the line (an operator's correction
    posted by hand moves the lot exactly as the service would)."""
    _buy(app, tenant, "L1", "C1", 10, "10.00")
    p = "?" if is_sqlite(app) else "%s"
    unit = chart.CREDIT_UNIT
    lots, issued = chart.credit_lots("C1"), chart.tenant_account(Kind.credits_issued, unit)
    with console(app) as raw:
        cur = raw.cursor()
        if is_sqlite(app):
            cur.execute("BEGIN")
        cur.execute(
            "INSERT INTO entries (tenant_id, entry_id, kind, effective_us, recorded_us, memo) "
            f"VALUES ({p}, 'hand1', 'usage', 0, 0, 'by hand')",
            (tenant,),
        )
        cur.execute(
            "INSERT INTO lines (tenant_id, entry_id, line_no, account, commodity, amount, "
            f"lot_id) VALUES ({p}, 'hand1', 0, {p}, {p}, 3, 'L1'), "
            f"({p}, 'hand1', 1, {p}, {p}, -3, NULL)",
            (tenant, lots.code, unit, tenant, issued.code, unit),
        )
        if is_sqlite(app):
            cur.execute("COMMIT")
        else:
            raw.commit()
    assert _lots(app, tenant)["L1"] == (7, 700, "open", 7)
