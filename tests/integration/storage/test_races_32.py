"""32-way races on one wallet, one payment and one idempotency key, on both stores: never an
overdraft, an over-refund or a doubled posting, and the losers get the right error."""

from __future__ import annotations

from storage_helpers import T0, at, card_payment, top_up, zar

from fakes import decide, duplicate_charge, fee_due
from races import race
from refundable.bootstrap import App
from refundable.core.errors import InsufficientFunds, OverRefund
from refundable.core.methods import Method
from refundable.ledger import accounts as chart
from refundable.service import commands as c

N = 32


def _split(results: list[object]) -> tuple[list[object], list[BaseException]]:
    errors = [r for r in results if isinstance(r, BaseException)]
    return [r for r in results if not isinstance(r, BaseException)], errors


def test_32_spenders_of_one_wallet_never_overdraw_it(app: App, tenant: str) -> None:
    top_up(app, tenant, "C1", "100.00", "p1")
    for i in range(N):  # 32 decisions, each setting a fee of 10.00
        decide(app, tenant, f"d{i}", "C1", fee_due("20.00"))
    fee = lambda i: c.ChargeFee(tenant, f"fee-{i}", f"f{i}", "C1", f"d{i}", at(1))  # noqa: E731
    ok, errors = _split(race(N, lambda i: app.ledger.handle(fee(i))))
    assert len(ok) == 10 and all(isinstance(e, InsufficientFunds) for e in errors), errors[:3]
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR")) == 0


def test_32_refunds_of_one_payment_never_exceed_it(app: App, tenant: str) -> None:
    card_payment(app, tenant, "C1", "100.00", "p1")
    for i in range(N):  # 32 approved refunds of 10.00 against one payment of 100.00
        decide(app, tenant, f"d{i}", "C1", duplicate_charge("10.00"))
    refund = lambda i: c.PayRefund(tenant, f"rf-{i}", f"r{i}", "p1", f"d{i}", at(1))  # noqa: E731
    ok, errors = _split(race(N, lambda i: app.ledger.handle(refund(i))))
    assert len(ok) == 10 and all(isinstance(e, OverRefund) for e in errors), errors[:3]
    assert app.queries.remaining_refundable(tenant, "p1") == zar("0.00")
    assert len(app.queries.returns_of(tenant, "p1")) == 10


def test_32_submissions_of_one_key_post_once(app: App, tenant: str) -> None:
    cmd = c.TopUpWallet(tenant, "same-key", "p1", "C1", zar("25.00"), Method.card, "stripe", T0)
    ok, errors = _split(race(N, lambda _: app.ledger.handle(cmd)))
    assert len(ok) == N, errors[:3]
    assert len({r.entry_ids for r in ok}) == 1  # type: ignore[attr-defined]
    assert len(app.queries.journal(tenant)) == 1
    assert app.queries.balance(tenant, chart.wallet("C1", "ZAR")) == zar("25.00").amount
