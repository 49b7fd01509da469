"""Money commands on the in-memory store: customers, charges, payments, wallet transfers under
the policy's routes, chargebacks with the policy's hold, hold releases and reversals."""

from __future__ import annotations

import dataclasses

import pytest

from fakes import T0, TENANT, at, card_payment, customer, memory_app, top_up, zar
from refundable.config import shipped_policies_dir
from refundable.core.errors import (
    ImmutableEntry,
    InsufficientFunds,
    NotFound,
    OverRefund,
    TransferNotAllowed,
)
from refundable.core.methods import Method
from refundable.ledger import accounts as chart
from refundable.service import commands as c

W = chart.wallet


def test_register_charge_and_pay_move_the_receivable() -> None:
    app = memory_app()
    customer(app, TENANT, "C1")
    card_payment(app, TENANT, "C1", "99.95", "p1")
    assert app.queries.balance(TENANT, chart.receivable("C1", "ZAR")) == zar("0").amount
    assert app.queries.balance(TENANT, chart.clearing("stripe", "ZAR")) == zar("99.95").amount
    assert app.queries.remaining_refundable(TENANT, "p1") == zar("99.95")


def test_a_top_up_funds_the_wallet_and_remembers_its_mode() -> None:
    app = memory_app()
    cmd = c.TopUpWallet(TENANT, "k", "w1", "C1", zar("20"), Method.card, "stripe", T0,
                        c.TopUpMode.automatic)  # fmt: skip
    receipt = app.ledger.handle(cmd)
    [entry] = app.queries.journal(TENANT)
    assert entry.meta == {"mode": "automatic"} and receipt.ref == "w1"
    assert app.queries.balance(TENANT, W("C1", "ZAR")) == zar("20").amount


def test_transfer_routes_come_from_the_tenants_policy_not_the_command() -> None:
    assert "allowed" not in {f.name for f in dataclasses.fields(c.TransferWallet)}
    app = memory_app()
    # a second tenant on plain Conek: its policy has no wallet section, so no route at all
    plain = (shipped_policies_dir() / "conek.yaml").read_text()
    app.ledger.handle(c.PublishPolicy("plain", "p", plain, name="Plain"))
    for tenant in (TENANT, "plain"):
        customer(app, tenant, "R1")
        customer(app, tenant, "C1", reseller_id="R1")
        top_up(app, tenant, "R1", "30", "w1")
    done = app.ledger.handle(c.TransferWallet(TENANT, "t1", "tr1", "R1", "C1", zar("10"), at(1)))
    assert done.details["route"] == "reseller_to_client"
    with pytest.raises(TransferNotAllowed, match="routes the policy allows: none"):
        app.ledger.handle(c.TransferWallet("plain", "t1", "tr1", "R1", "C1", zar("10"), at(1)))
    assert app.queries.balance("plain", W("R1", "ZAR")) == zar("30").amount


def test_transfers_never_overdraw_and_need_known_customers() -> None:
    app = memory_app()
    customer(app, TENANT, "A", group_id="G")
    customer(app, TENANT, "B", group_id="G")
    top_up(app, TENANT, "A", "5", "w1")
    with pytest.raises(InsufficientFunds, match=r"holds 5\.00 ZAR, 6\.00 requested"):
        app.ledger.handle(c.TransferWallet(TENANT, "t1", "tr1", "A", "B", zar("6"), at(1)))
    with pytest.raises(NotFound, match="nobody"):
        app.ledger.handle(c.TransferWallet(TENANT, "t2", "tr2", "A", "nobody", zar("1"), at(1)))


def test_a_chargeback_holds_the_account_where_the_policy_says_so() -> None:
    assert "hold" not in {f.name for f in dataclasses.fields(c.RecordChargeback)}
    app = memory_app()
    card_payment(app, TENANT, "C1", "80", "p1")
    receipt = app.ledger.handle(c.RecordChargeback(TENANT, "cb", "d" * 64, "p1", zar("80"), at(1)))
    # Conek 9.2 points at the ledger's hold; a 64-character dispute id gives a hashed hold id
    [hold] = app.queries.active_holds(TENANT, "C1")
    assert receipt.details["hold"] == "true" and hold.hold_id == receipt.details["hold_id"]
    assert len(hold.hold_id) <= 64
    assert hold.reason == "suspended: chargeback without contacting support first (clause 9.2)"
    with pytest.raises(OverRefund):
        app.ledger.handle(c.RecordChargeback(TENANT, "cb2", "d2", "p1", zar("1"), at(1)))


def test_a_policy_without_a_chargeback_hold_places_none() -> None:
    app = memory_app()
    text = (shipped_policies_dir() / "myprotektor.yaml").read_text()
    app.ledger.handle(c.PublishPolicy("mp", "p", text, name="MyProtektor"))
    card_payment(app, "mp", "C1", "80", "p1")
    receipt = app.ledger.handle(c.RecordChargeback("mp", "cb", "d1", "p1", zar("80"), at(1)))
    assert receipt.details["hold"] == "false" and app.queries.holds_of("mp", "C1") == []


def test_release_hold_writes_a_release_and_no_entry() -> None:
    app = memory_app()
    card_payment(app, TENANT, "C1", "80", "p1")
    app.ledger.handle(c.RecordChargeback(TENANT, "cb", "d1", "p1", zar("80"), at(1)))
    size = len(app.queries.journal(TENANT))
    receipt = app.ledger.handle(
        c.ReleaseHold(TENANT, "rel", "hold-d1", at(5), c.HoldResolution.won)
    )
    assert receipt.entry_ids == () and len(app.queries.journal(TENANT)) == size
    assert app.queries.active_holds(TENANT, "C1") == []


def test_a_reversal_is_a_new_linked_entry_and_happens_once() -> None:
    app = memory_app()
    first = app.ledger.handle(c.RecordCharge(TENANT, "ch", "inv1", "C1", zar("40"), T0))
    rev = app.ledger.handle(c.ReverseEntry(TENANT, "rv", first.entry_ids[0], at(1)))
    entries = {e.entry_id: e for e in app.queries.journal(TENANT)}
    assert entries[rev.entry_ids[0]].reverses == first.entry_ids[0]
    with pytest.raises(ImmutableEntry, match="already reversed"):
        app.ledger.handle(c.ReverseEntry(TENANT, "rv2", first.entry_ids[0], at(2)))


def test_commands_for_an_unknown_tenant_are_refused() -> None:
    app = memory_app()
    with pytest.raises(NotFound, match="no tenant 'ghost'"):
        app.ledger.handle(c.RecordCharge("ghost", "k", "inv1", "C1", zar("1"), T0))
