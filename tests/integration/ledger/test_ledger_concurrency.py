"""Concurrency with real parallel connections (one thread, one connection and one unit of work
per submission); every thread starts at the same barrier. PostgreSQL (row locks) is the
target; one test checks that SQLite's single writer gives the same guarantee."""

from __future__ import annotations

import pytest
from ledger_helpers import (
    T0,
    at,
    card_payment,
    decide,
    duplicate_charge,
    fee_due,
    lot,
    top_up,
    zar,
)

from races import race
from refundable.bootstrap import App
from refundable.core.errors import Conflict, InsufficientFunds, OverRefund, RefundableError
from refundable.core.methods import Method
from refundable.ledger import accounts as chart
from refundable.ledger.lots import LotSource
from refundable.service import commands as c


def outcomes(results: list[object]) -> tuple[int, list[BaseException]]:
    errors = [r for r in results if isinstance(r, BaseException)]
    return len(results) - len(errors), errors


@pytest.mark.postgres
def test_two_consumers_of_one_wallet_never_overdraw_it(postgresql_app: App, tenant: str) -> None:
    app = postgresql_app
    top_up(app, tenant, "C1", "100.00", "p1")
    for i in range(10):  # ten decisions, each setting a fee of 15.00
        decide(app, tenant, f"d{i}", "C1", fee_due("30.00"))
    results = race(
        10,
        lambda i: app.ledger.handle(c.ChargeFee(tenant, f"fee-{i}", f"f{i}", "C1", f"d{i}", at(1))),
    )
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 6 and all(isinstance(e, InsufficientFunds) for e in errors)
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR")) == zar("10.00").amount


@pytest.mark.postgres
def test_two_wallet_spenders_racing_exactly(postgresql_app: App, tenant: str) -> None:
    app = postgresql_app
    top_up(app, tenant, "C1", "100.00", "p1")
    results = race(
        2,
        lambda i: app.ledger.handle(
            c.BuyCreditLot(
                tenant,
                f"b{i}",
                f"L{i}",
                "C1",
                10,
                zar("60.00"),
                LotSource.purchase,
                T0,
                c.PaidFrom.wallet,
            )
        ),
    )
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 1 and isinstance(errors[0], InsufficientFunds)
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR")) == zar("40.00").amount


@pytest.mark.postgres
def test_refunds_of_one_payment_never_exceed_it(postgresql_app: App, tenant: str) -> None:
    app = postgresql_app
    card_payment(app, tenant, "C1", "100.00", "p1")
    for i in range(8):  # eight approved refunds of 30.00 against one payment of 100.00
        decide(app, tenant, f"d{i}", "C1", duplicate_charge("30.00"))
    results = race(
        8,
        lambda i: app.ledger.handle(c.PayRefund(tenant, f"rf-{i}", f"r{i}", "p1", f"d{i}", at(1))),
    )
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 3 and all(isinstance(e, OverRefund) for e in errors)
    assert app.queries.remaining_refundable(tenant, "p1") == zar("10.00")
    assert len(app.queries.returns_of(tenant, "p1")) == 3


@pytest.mark.postgres
def test_32_submissions_of_one_key_make_exactly_one_entry(postgresql_app: App, tenant: str) -> None:
    app = postgresql_app
    cmd = c.TopUpWallet(tenant, "same-key", "p1", "C1", zar("25.00"), Method.card, "stripe", T0)
    results = race(32, lambda _: app.ledger.handle(cmd))
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 32, errors[:3]
    receipts = {r.entry_ids for r in results if not isinstance(r, BaseException)}
    assert len(receipts) == 1
    assert len(app.queries.journal(tenant)) == 1
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR")) == zar("25.00").amount


@pytest.mark.postgres
def test_concurrent_credit_consumers_never_overdraw_a_lot(postgresql_app: App, tenant: str) -> None:
    app = postgresql_app
    lot(app, tenant, "C1", "L1", 100, "10.00")
    results = race(
        8, lambda i: app.ledger.handle(c.ConsumeCredits(tenant, f"u{i}", f"ev{i}", "C1", 20, at(1)))
    )
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 5 and all(isinstance(e, RefundableError) for e in errors)
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 0


@pytest.mark.postgres
def test_overlapping_batches_ingested_concurrently_count_each_event_once(
    postgresql_app: App, tenant: str
) -> None:
    from refundable.ledger.usage import UsageEvent

    app = postgresql_app
    lot(app, tenant, "C1", "L1", 1000, "10.00")
    events = [UsageEvent(f"m{i}", "C1", 1, at(1)) for i in range(400)]
    batches = [tuple(events[k * 100 : k * 100 + 200]) for k in range(4)]
    results = race(4, lambda k: app.ledger.handle(c.IngestUsage(tenant, batches[k], at(1))))
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 4, errors
    accepted = sum(int(r.details["accepted"]) for r in results if not isinstance(r, BaseException))
    assert accepted == 400
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 600


@pytest.mark.postgres
def test_concurrent_releases_of_one_hold_release_it_once(postgresql_app: App, tenant: str) -> None:
    app = postgresql_app
    card_payment(app, tenant, "C1", "50.00", "p1")
    app.ledger.handle(c.RecordChargeback(tenant, "cb1", "d1", "p1", zar("50.00"), at(1)))
    resolutions = list(c.HoldResolution)
    results = race(
        8,
        lambda i: app.ledger.handle(
            c.ReleaseHold(tenant, f"rel-{i}", "hold-d1", at(2), resolutions[i % 3], f"try {i}")
        ),
    )
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 1 and len(errors) == 7, errors[:3]
    # the bus refuses the losers by the hold's business key (one release per hold)
    assert all(isinstance(e, Conflict) and "already recorded" in str(e) for e in errors), errors
    [hold] = app.queries.holds_of(tenant, "C1")
    [winner] = [r for r in results if not isinstance(r, BaseException)]
    assert hold.released_at == at(2) and hold.resolution == winner.details["resolution"]
    assert app.queries.active_holds(tenant, "C1") == []
    with app.db.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT count(*) FROM hold_releases WHERE tenant_id = %(t)s", {"t": tenant}
        ).scalar()
    assert rows == 1


def test_sqlite_writers_serialise_on_one_wallet(sqlite_app: App, tenant: str) -> None:
    app = sqlite_app
    top_up(app, tenant, "C1", "100.00", "p1")
    for i in range(6):  # six decisions, each setting a fee of 30.00
        decide(app, tenant, f"d{i}", "C1", fee_due("60.00"))
    results = race(
        6,
        lambda i: app.ledger.handle(c.ChargeFee(tenant, f"fee-{i}", f"f{i}", "C1", f"d{i}", at(1))),
    )
    ok, errors = outcomes(results)  # type: ignore[arg-type]
    assert ok == 3 and all(isinstance(e, InsufficientFunds) for e in errors)
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR")) == zar("10.00").amount
