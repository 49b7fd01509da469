"""Payments, refunds, chargebacks, transfers, floors and exports (pure)."""

from datetime import datetime

import pytest

from refundable.core.errors import InputError, InsufficientFunds, OverRefund, TransferNotAllowed
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.ledger.export import beancount_account, from_csv, to_beancount, to_csv
from refundable.ledger.invariants import audit, check_floors
from refundable.ledger.money_ops import FeeFrom, fee, transfer
from refundable.ledger.payments import chargeback, pay, refund
from refundable.ledger.transfers import Party, TransferRoute, transfer_route

T0 = datetime(2026, 3, 1, tzinfo=UTC)
R = "ZAR"


def zar(text: str) -> Money:
    return Money.of(text, R)


def test_refunds_go_back_to_the_original_method_and_never_exceed_the_payment() -> None:
    p, _ = pay("e1", "t1", "p1", "C1", zar("100"), Method.card, "stripe", T0)
    p, e = refund("e2", p, "r1", zar("60"), T0)
    assert {line.account.code: line.amount for line in e.lines} == {
        "refunds/ZAR": 6000,
        "clearing/stripe/ZAR": -6000,
    }
    p, _ = refund("e3", p, "r2", zar("40"), T0)
    assert p.refundable_minor == 0
    with pytest.raises(OverRefund, match=r"at most ZAR 0.00"):
        refund("e4", p, "r3", zar("0.01"), T0)


def test_top_up_refund_comes_out_of_the_wallet() -> None:
    p, _ = pay("e1", "t1", "p1", "C1", zar("50"), Method.eft, "bank", T0, Kind.wallet)
    _, e = refund("e2", p, "r1", zar("20"), T0)
    assert e.lines[0].account == chart.wallet("C1", R)


def test_card_payment_needs_a_provider_and_wallet_cannot_top_itself_up() -> None:
    with pytest.raises(InputError, match="provider"):
        pay("e1", "t1", "p1", "C1", zar("1"), Method.card, None, T0)
    with pytest.raises(InputError, match="itself"):
        pay("e1", "t1", "p1", "C1", zar("1"), Method.wallet, None, T0, Kind.wallet)


def test_refund_in_another_currency_is_refused() -> None:
    p, _ = pay("e1", "t1", "p1", "C1", zar("100"), Method.card, "stripe", T0)
    with pytest.raises(InputError, match="USD"):
        refund("e2", p, "r1", Money.of("1", "USD"), T0)


def test_chargeback_of_a_spent_top_up_reopens_a_receivable() -> None:
    p, _ = pay("e1", "t1", "p1", "C1", zar("50"), Method.card, "stripe", T0, Kind.wallet)
    wallet_signed = chart.wallet("C1", R).natural(2000)  # R20 left in the wallet
    p2, e = chargeback("e2", p, "d1", zar("50"), T0, wallet_signed)
    amounts: dict[str, int] = {}
    for line in e.lines:
        amounts[line.account.code] = amounts.get(line.account.code, 0) + line.amount
    assert amounts == {
        "wallet/C1/ZAR": 2000,
        "receivable/C1/ZAR": 3000,
        "clearing/stripe/ZAR": -5000,
    }
    assert p2.refundable_minor == 0


def test_floor_check_refuses_overdraw_with_a_clear_message() -> None:
    e = fee("e1", "t1", "C1", zar("30"), T0, "f1", "admin", FeeFrom.wallet)
    wallet = chart.wallet("C1", R)
    check_floors({wallet: -3000}, [e])
    with pytest.raises(InsufficientFunds, match=r"wallet/C1/ZAR holds 20.00 ZAR, 30.00 requested"):
        check_floors({wallet: -2000}, [e])


ALL = frozenset(TransferRoute)


def test_transfer_routes() -> None:
    reseller = Party("t1", "R1")
    client = Party("t1", "C1", reseller_id="R1", group_id="G")
    affiliate = Party("t1", "C2", group_id="G")
    charity = Party("t1", "NP", approved_nonprofit=True)
    stranger = Party("t1", "X")
    assert transfer_route(reseller, client, False, ALL) is TransferRoute.reseller_to_client
    assert transfer_route(client, affiliate, False, ALL) is TransferRoute.between_affiliates
    assert (
        transfer_route(client, charity, True, ALL)
        is TransferRoute.approved_nonprofit_on_termination
    )
    for src, dst, term in [
        (client, reseller, False),
        (client, stranger, False),
        (client, charity, False),
        (stranger, client, True),
    ]:
        with pytest.raises(TransferNotAllowed, match="allowed: reseller"):
            transfer_route(src, dst, term, ALL)
    with pytest.raises(TransferNotAllowed):
        transfer("e1", client, stranger, zar("1"), T0, False, "tr1", ALL)


def test_a_route_the_policy_does_not_allow_is_refused_with_the_routes_it_does() -> None:
    reseller = Party("t1", "R1")
    client = Party("t1", "C1", reseller_id="R1")
    only_affiliates = frozenset({TransferRoute.between_affiliates})
    with pytest.raises(TransferNotAllowed) as caught:
        transfer_route(reseller, client, False, only_affiliates)
    assert str(caught.value) == (
        "transfer R1 -> C1: the policy in force does not allow reseller_to_client transfers; "
        "allowed: routes the policy allows: between_affiliates"
    )
    with pytest.raises(TransferNotAllowed, match="allowed: routes the policy allows: none"):
        transfer("e1", reseller, client, zar("1"), T0, False, "tr1", frozenset())


def test_csv_round_trip_and_beancount_names() -> None:
    p, e1 = pay("e1", "t1", "p1", "C1", zar("100"), Method.card, "stripe", T0)
    _, e2 = refund("e2", p, "r1", zar("12.34"), T0)
    assert from_csv(to_csv([e1, e2])) == [e1, e2]
    assert beancount_account(chart.wallet("C1", R)) == "Liabilities:Wallet:C1:ZAR"
    assert beancount_account(chart.wallet("acme_co", R)).startswith("Liabilities:Wallet:Acme-co-")
    text = to_beancount([e1, e2])
    assert "2026-03-01 open Assets:Clearing:Stripe-" in text
    assert "Income:Refunds:ZAR  12.34 ZAR" in text


def test_audit_finds_unbalanced_entries_and_broken_floors() -> None:
    wallet, clearing = chart.wallet("C1", R), chart.clearing("s", R)
    from refundable.ledger.entries import Line

    problems = audit([("e1", Line(wallet, 100)), ("e1", Line(clearing, -90))], [])
    assert any("unbalanced" in p for p in problems)
    assert any("below floor" in p for p in problems)
