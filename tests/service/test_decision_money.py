"""Refunds, account credits and fees follow a recorded decision and post exactly its amounts;
deciding uses the tenant's own policy (on the in-memory store)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from fakes import (
    TENANT,
    at,
    card_payment,
    credit_due,
    decide,
    duplicate_charge,
    fee_due,
    memory_app,
    top_up,
    zar,
)
from refundable.core.errors import IdempotencyConflict, InputError, LedgerRefused, NotFound
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.service import commands as c

MONEY_FIELDS = {"amount", "price", "fee", "fees", "valid_until", "allowed", "reinstate", "hold"}


@pytest.mark.parametrize("cmd", [c.PayRefund, c.GrantAccountCredit, c.ChargeFee])
def test_no_command_that_follows_a_decision_carries_an_amount(cmd: type) -> None:
    assert not MONEY_FIELDS & {f.name for f in dataclasses.fields(cmd)}
    assert "decision_id" in {f.name for f in dataclasses.fields(cmd)}


def test_a_refund_pays_exactly_the_decisions_net_and_cites_it() -> None:
    app = memory_app()
    card_payment(app, TENANT, "C1", "100.00", "p1")
    made = decide(app, TENANT, "d1", "C1", duplicate_charge("30.00"))
    assert (made.details["outcome"], made.details["rule"]) == ("approve", "duplicate-charge")
    paid = app.ledger.handle(c.PayRefund(TENANT, "rf", "r1", "p1", "d1", at(3)))
    assert paid.details["refundable_left"] == "70.00"
    [ret] = app.queries.returns_of(TENANT, "p1")
    assert ret.amount == zar("30.00")
    [entry] = [e for e in app.queries.journal(TENANT) if e.entry_id == paid.entry_ids[0]]
    assert entry.meta["decision_id"] == "d1"


def test_a_decision_pays_once_even_under_another_refund_id() -> None:
    app = memory_app()
    card_payment(app, TENANT, "C1", "100.00", "p1")
    decide(app, TENANT, "d1", "C1", duplicate_charge("30.00"))
    app.ledger.handle(c.PayRefund(TENANT, "rf", "r1", "p1", "d1", at(3)))
    with pytest.raises(IdempotencyConflict, match="refund_of 'd1' was already recorded"):
        app.ledger.handle(c.PayRefund(TENANT, "rf2", "r2", "p1", "d1", at(3)))
    assert app.queries.remaining_refundable(TENANT, "p1") == zar("70.00")


def test_a_denied_decision_or_another_customers_decision_moves_no_money() -> None:
    app = memory_app()
    card_payment(app, TENANT, "C1", "100.00", "p1")
    late = duplicate_charge("30.00").model_copy(
        update={"requested_at": at(days=90)}
    )  # outside Conek's 30-day window (8.1): denied
    assert decide(app, TENANT, "late", "C1", late).details["outcome"] == "deny"
    with pytest.raises(LedgerRefused, match=r"decision late \(deny"):
        app.ledger.handle(c.PayRefund(TENANT, "rf", "r1", "p1", "late", at(3)))
    decide(app, TENANT, "other", "C2", duplicate_charge("30.00"))
    with pytest.raises(LedgerRefused, match="made for customer C2"):
        app.ledger.handle(c.PayRefund(TENANT, "rf", "r1", "p1", "other", at(3)))
    with pytest.raises(NotFound, match="no decision 'ghost'"):
        app.ledger.handle(c.PayRefund(TENANT, "rf", "r1", "p1", "ghost", at(3)))
    assert app.queries.remaining_refundable(TENANT, "p1") == zar("100.00")


def test_an_account_credit_is_exactly_the_decisions_amount() -> None:
    app = memory_app()
    decide(app, TENANT, "d1", "C1", credit_due("7.50"))
    app.ledger.handle(c.GrantAccountCredit(TENANT, "g", "g1", "C1", "d1", at(3)))
    assert app.queries.balance(TENANT, chart.account_credit("C1", "ZAR")) == zar("7.50").amount
    decide(app, TENANT, "refund", "C1", duplicate_charge("5.00"))
    with pytest.raises(LedgerRefused, match="allows no account credit"):
        app.ledger.handle(c.GrantAccountCredit(TENANT, "g2", "g2", "C1", "refund", at(3)))


def test_a_fee_is_exactly_the_fees_the_decision_set() -> None:
    app = memory_app()
    top_up(app, TENANT, "C1", "20.00", "w1")
    decide(app, TENANT, "d1", "C1", fee_due("6.00"))  # refund 3.00, fee 3.00 (test-fee)
    app.ledger.handle(c.ChargeFee(TENANT, "f", "f1", "C1", "d1", at(3)))
    fees = app.queries.balance(TENANT, chart.tenant_account(Kind.fee_income, "ZAR"))
    assert fees == zar("3.00").amount
    decide(app, TENANT, "nofee", "C1", duplicate_charge("5.00"))
    with pytest.raises(LedgerRefused, match="sets no fee"):
        app.ledger.handle(c.ChargeFee(TENANT, "f2", "f2", "C1", "nofee", at(3)))


def test_a_request_naming_another_tenants_policy_is_refused() -> None:
    app = memory_app()
    kero = duplicate_charge("30.00").model_copy(update={"policy": "kero"})
    with pytest.raises(InputError, match="names policy 'kero', but tenant acme runs 'conek'"):
        decide(app, TENANT, "d1", "C1", kero)


def test_the_decision_is_kept_whole_with_its_version_and_clauses() -> None:
    app = memory_app()
    decide(app, TENANT, "d1", "C1", duplicate_charge("30.00"))
    with app.ledger.uow_factory() as uow:
        record = uow.repositories(TENANT).decisions.get("d1")
    assert record is not None
    assert (record.policy_version, record.clauses, record.net_minor) == (
        "2025-10-25",
        ("2.2",),
        3000,
    )
    assert json.loads(record.body)["rule"] == "duplicate-charge"
