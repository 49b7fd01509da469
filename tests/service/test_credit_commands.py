"""Unit-credit commands on the in-memory store: lot validity and reinstatement come from the
tenant's policy version in force at the command's instant."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from fakes import TENANT, acme_policy_text, at, lot, memory_app, zar
from refundable.core.errors import InsufficientFunds, LotExpired
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.ledger.lots import LotSource, LotStatus
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c


def test_lot_validity_is_the_policys_at_the_purchase_instant() -> None:
    assert "valid_until" not in {f.name for f in dataclasses.fields(c.BuyCreditLot)}
    app = memory_app()
    first = lot(app, TENANT, "C1", "L1", 10, "1.00")
    # Conek 4.1: valid 30 days from the date of purchase (Johannesburg), day 30 included
    assert first.details["valid_until"] == "2026-03-31T23:59:59.999999+02:00"
    v2 = (
        acme_policy_text()
        .replace("valid_days: 30", "valid_days: 7")
        .replace("effective_from: 2025-10-25", "effective_from: 2026-04-01")
        .replace('version: "2025-10-25"', 'version: "2026-04"')
    )
    app.ledger.handle(c.PublishPolicy(TENANT, "v2", v2))
    before = lot(app, TENANT, "C1", "L2", 10, "1.00", bought=20)  # 21 March: version 1
    after = lot(app, TENANT, "C1", "L3", 10, "1.00", bought=40)  # 10 April: version 2
    assert before.details["valid_until"].startswith("2026-04-20")
    assert after.details["valid_until"].startswith("2026-04-17")


def test_failed_usage_reinstates_by_the_policys_causes() -> None:
    assert "reinstate" not in {f.name for f in dataclasses.fields(c.FailUsage)}
    app = memory_app()
    lot(app, TENANT, "C1", "L1", 10, "10.00")
    app.ledger.handle(c.ConsumeCredits(TENANT, "u1", "ev1", "C1", 4, at(1)))
    app.ledger.handle(c.ConsumeCredits(TENANT, "u2", "ev2", "C1", 2, at(1)))
    back = app.ledger.handle(c.FailUsage(TENANT, "f1", "ev1", "platform", at(2)))
    kept = app.ledger.handle(c.FailUsage(TENANT, "f2", "ev2", "provider", at(2)))  # 4.2: review
    assert (back.details["reinstated"], kept.details["reinstated"]) == ("true", "false")
    assert kept.entry_ids == ()
    assert app.queries.balance(TENANT, chart.credit_lots("C1")) == 8
    [again] = [x for x in app.queries.lots_of(TENANT, "C1") if x.source is LotSource.reinstatement]
    assert (again.lot_id, again.units) == ("reinstated-L1-ev1", 4)
    assert again.valid_until == app.queries.lots_of(TENANT, "C1")[0].valid_until  # not extended


def test_consumption_draws_promotions_first_and_refuses_what_is_not_there() -> None:
    app = memory_app()
    lot(app, TENANT, "C1", "paid", 10, "10.00")
    lot(app, TENANT, "C1", "promo", 5, "0", source=LotSource.promotion)
    done = app.ledger.handle(c.ConsumeCredits(TENANT, "u1", "ev1", "C1", 7, at(1)))
    assert done.details["lots"] == "promo:5,paid:2"
    with pytest.raises(InsufficientFunds):
        app.ledger.handle(c.ConsumeCredits(TENANT, "u2", "ev2", "C1", 9, at(1)))
    with pytest.raises(LotExpired):
        app.ledger.handle(c.ConsumeCredits(TENANT, "u3", "ev3", "C1", 1, at(days=40)))


def test_a_partial_batch_returns_what_it_could_not_cover() -> None:
    app = memory_app()
    lot(app, TENANT, "C1", "L1", 3, "3.00")
    events = tuple(UsageEvent(f"m{i}", "C1", 1, at(1)) for i in range(5))
    receipt = app.ledger.handle(c.IngestUsage(TENANT, events, at(1), partial=True))
    assert (receipt.details["accepted"], receipt.details["rejected_ids"]) == ("3", "m3,m4")


def test_expiry_and_forfeiture_close_lots_into_breakage() -> None:
    app = memory_app()
    lot(app, TENANT, "C1", "old", 10, "5.00")
    lot(app, TENANT, "C2", "kept", 10, "5.00", bought=20)
    expired = app.ledger.handle(
        c.ExpireLots(TENANT, "x", datetime.fromisoformat("2026-04-01T00:00+02:00"))
    )
    assert expired.details["lots"] == "1"
    forfeited = app.ledger.handle(
        c.ForfeitCredits(TENANT, "ff", "C2", c.ForfeitReason.termination, at(days=21))
    )
    assert forfeited.details["lots"] == "1"
    statuses = {
        x.lot_id: x.status for who in ("C1", "C2") for x in app.queries.lots_of(TENANT, who)
    }
    assert statuses == {"old": LotStatus.expired, "kept": LotStatus.forfeited}
    breakage = app.queries.balance(TENANT, chart.tenant_account(Kind.breakage, "ZAR"))
    assert breakage == zar("10.00").amount
