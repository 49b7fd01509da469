"""The ledger through the service layer, the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from ledger_helpers import (
    T0,
    at,
    card_payment,
    customer,
    decide,
    duplicate_charge,
    fee,
    grant,
    journal_size,
    lot,
    refund,
    top_up,
    zar,
)

from refundable.bootstrap import App
from refundable.core.errors import (
    Conflict,
    IdempotencyConflict,
    ImmutableEntry,
    InputError,
    InsufficientFunds,
    LotExpired,
    NotFound,
    OverRefund,
    TransferNotAllowed,
)
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.ledger.invariants import audit
from refundable.ledger.lots import LotSource, LotStatus
from refundable.ledger.money_ops import FeeFrom
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c

W = chart.wallet


def test_partial_refunds_trace_to_their_payment_and_never_exceed_it(app: App, tenant: str) -> None:
    card_payment(app, tenant, "C1", "100.00", "p1")
    refund(app, tenant, "rf1", "r1", "p1", "30.00")
    refund(app, tenant, "rf2", "r2", "p1", "50.00", when=at(2))
    before = journal_size(app, tenant)
    with pytest.raises(OverRefund, match=r"at most ZAR 20.00"):
        refund(app, tenant, "rf3", "r3", "p1", "20.01", when=at(3))
    assert journal_size(app, tenant) == before
    assert app.queries.remaining_refundable(tenant, "p1") == zar("20.00")
    assert app.queries.payment_of_refund(tenant, "r2") == "p1"
    assert [r.amount for r in app.queries.returns_of(tenant, "p1")] == [zar("30"), zar("50")]
    assert app.queries.balance(tenant, chart.clearing("stripe", "ZAR")) == zar("20").amount


def test_same_key_same_payload_returns_the_first_result(app: App, tenant: str) -> None:
    cmd = c.TopUpWallet(tenant, "k1", "p1", "C1", zar("10"), Method.card, "stripe", T0)
    first = app.ledger.handle(cmd)
    again = app.ledger.handle(cmd)
    assert again == first and again.replayed and not first.replayed
    assert journal_size(app, tenant) == 1
    with pytest.raises(IdempotencyConflict, match="different TopUpWallet"):
        app.ledger.handle(
            c.TopUpWallet(tenant, "k1", "p1", "C1", zar("11"), Method.card, "stripe", T0)
        )
    with pytest.raises(IdempotencyConflict):
        app.ledger.handle(c.RecordCharge(tenant, "k1", "inv", "C1", zar("10"), T0))
    assert app.queries.balance(tenant, W("C1", "ZAR")) == zar("10").amount


def test_wallet_cannot_be_overdrawn_by_fee_or_transfer(app: App, tenant: str) -> None:
    customer(app, tenant, "R1")
    customer(app, tenant, "C1", reseller_id="R1")
    top_up(app, tenant, "R1", "25.00", "p1")
    fee(app, tenant, "f1", "fee1", "R1", "5")
    before = journal_size(app, tenant)
    with pytest.raises(InsufficientFunds, match=r"holds 20\.00 ZAR, 21\.00 requested"):
        app.ledger.handle(c.TransferWallet(tenant, "t1", "tr1", "R1", "C1", zar("21"), at(2)))
    app.ledger.handle(c.TransferWallet(tenant, "t2", "tr2", "R1", "C1", zar("20"), at(2)))
    assert journal_size(app, tenant) == before + 1
    assert app.queries.balance(tenant, W("R1", "ZAR")) == zar("0").amount
    assert app.queries.balance(tenant, W("C1", "ZAR")) == zar("20").amount
    fee(app, tenant, "f2", "fee2", "C1", "3", FeeFrom.receivable)
    assert app.queries.balance(tenant, chart.receivable("C1", "ZAR")) == zar("3").amount


def test_transfers_only_along_allowed_routes(app: App, tenant: str) -> None:
    customer(app, tenant, "A", group_id="G")
    customer(app, tenant, "B", group_id="G")
    customer(app, tenant, "X")
    customer(app, tenant, "NP", approved_nonprofit=True)
    top_up(app, tenant, "A", "30", "p1")
    app.ledger.handle(c.TransferWallet(tenant, "t1", "tr1", "A", "B", zar("10"), at(1)))
    before = journal_size(app, tenant)
    with pytest.raises(TransferNotAllowed, match="not a client of A"):
        app.ledger.handle(c.TransferWallet(tenant, "t2", "tr2", "A", "X", zar("1"), at(1)))
    with pytest.raises(TransferNotAllowed):
        app.ledger.handle(c.TransferWallet(tenant, "t3", "tr3", "A", "NP", zar("1"), at(1)))
    with pytest.raises(NotFound):
        app.ledger.handle(c.TransferWallet(tenant, "t4", "tr4", "A", "nobody", zar("1"), at(1)))
    assert journal_size(app, tenant) == before
    app.ledger.handle(
        c.TransferWallet(tenant, "t5", "tr5", "A", "NP", zar("20"), at(2), on_termination=True)
    )
    assert app.queries.balance(tenant, W("NP", "ZAR")) == zar("20").amount


def test_credits_fefo_with_promotions_first_and_traceability(app: App, tenant: str) -> None:
    top_up(app, tenant, "C1", "100", "p1")
    # valid 30 days from purchase (Conek 4.1): bought later means expiring later
    lot(app, tenant, "C1", "paid-30d", 100, "10.00", -10, paid_from=c.PaidFrom.wallet)
    lot(app, tenant, "C1", "paid-10d", 100, "10.00", -20, paid_from=c.PaidFrom.wallet)
    lot(app, tenant, "C1", "promo", 20, "0", 0, LotSource.promotion)
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 50, at(1)))
    drawn = {a.lot_id: a.units for a in app.queries.lots_of_event(tenant, "ev1")}
    assert drawn == {"promo": 20, "paid-10d": 30}
    lots = {x.lot_id: x for x in app.queries.lots_of(tenant, "C1")}
    assert lots["promo"].status is LotStatus.exhausted and lots["paid-10d"].remaining == 70
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 170
    # 30 of 100 units of a R10 lot recognised as revenue: R3.00
    assert app.queries.balance(tenant, chart.tenant_account(Kind.revenue, "ZAR")) == zar("3").amount
    history = app.queries.lot_history(tenant, "paid-10d")
    assert [(m.kind, m.units) for m in history] == [("lot_purchase", 100), ("usage", -30)]


def test_expired_lots_cannot_be_spent_and_expire_into_breakage(app: App, tenant: str) -> None:
    lot(app, tenant, "C1", "L1", 10, "5.00", -30)  # valid to the end of T0's local day
    before = journal_size(app, tenant)
    with pytest.raises(LotExpired, match="expired"):
        app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 5, at(days=2)))
    with pytest.raises(InsufficientFunds):
        app.ledger.handle(c.ConsumeCredits(tenant, "u2", "ev2", "C1", 11, at(1)))
    assert journal_size(app, tenant) == before
    app.ledger.handle(c.ConsumeCredits(tenant, "u3", "ev3", "C1", 4, at(1)))
    receipt = app.ledger.handle(c.ExpireLots(tenant, "x1", at(days=1)))
    assert receipt.details["lots"] == "1"
    breakage = chart.tenant_account(Kind.breakage, "ZAR")
    assert app.queries.balance(tenant, breakage) == zar("3").amount
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 0
    again = app.ledger.handle(c.ExpireLots(tenant, "x2", at(days=5)))
    assert again.entry_ids == ()


def test_failed_usage_reinstates_what_the_policy_allows(app: App, tenant: str) -> None:
    lot(app, tenant, "C1", "L1", 10, "10.00")
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 4, at(1)))
    app.ledger.handle(c.ConsumeCredits(tenant, "u2", "ev2", "C1", 2, at(1)))
    # Conek 4.2: a platform failure gives the credits back, a provider failure does not
    done = app.ledger.handle(c.FailUsage(tenant, "f1", "ev1", "platform", at(2)))
    kept = app.ledger.handle(c.FailUsage(tenant, "f2", "ev2", "provider", at(2)))
    assert (done.details["reinstated"], kept.details["reinstated"]) == ("true", "false")
    with pytest.raises(Conflict, match="failure 'ev1' was already recorded"):
        app.ledger.handle(c.FailUsage(tenant, "f3", "ev1", "again", at(3)))
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 8
    reinstated = [
        x for x in app.queries.lots_of(tenant, "C1") if x.source is LotSource.reinstatement
    ]
    assert [(x.units, x.price_minor) for x in reinstated] == [(4, 400)]
    revenue = chart.tenant_account(Kind.revenue, "ZAR")
    assert app.queries.balance(tenant, revenue) == zar("2").amount


def test_usage_batch_is_idempotent_per_event(app: App, tenant: str) -> None:
    from refundable.ledger.usage import UsageEvent

    lot(app, tenant, "C1", "L1", 1000, "100.00")
    events = tuple(UsageEvent(f"m{i}", "C1", 1, at(1)) for i in range(300))
    first = app.ledger.handle(c.IngestUsage(tenant, events[:200], at(1)))
    second = app.ledger.handle(c.IngestUsage(tenant, events[100:], at(1)))
    assert (first.details["accepted"], second.details["accepted"]) == ("200", "100")
    assert second.details["duplicates"] == "100"
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 700
    changed = (UsageEvent("m5", "C1", 2, at(1)),)
    with pytest.raises(IdempotencyConflict, match="m5"):
        app.ledger.handle(c.IngestUsage(tenant, changed, at(1)))
    partial = app.ledger.handle(
        c.IngestUsage(
            tenant,
            (UsageEvent("big", "C1", 5000, at(1)), UsageEvent("ok", "C1", 1, at(1))),
            at(1),
            partial=True,
        )
    )
    assert partial.details["rejected_ids"] == "big" and partial.details["accepted"] == "1"


def test_chargeback_reverses_the_payment_and_places_a_hold(app: App, tenant: str) -> None:
    card_payment(app, tenant, "C1", "80.00", "p1")
    refund(app, tenant, "rf1", "r1", "p1", "30")
    app.ledger.handle(
        c.RecordChargeback(tenant, "cb1", "d1", "p1", zar("50"), at(2), reason="fraud claim")
    )
    assert app.queries.remaining_refundable(tenant, "p1") == zar("0")
    assert app.queries.balance(tenant, chart.receivable("C1", "ZAR")) == zar("50").amount
    holds = app.queries.holds_of(tenant, "C1")
    assert [(h.dispute_id, h.reason) for h in holds] == [("d1", "fraud claim")]
    with pytest.raises(OverRefund):
        app.ledger.handle(c.RecordChargeback(tenant, "cb2", "d2", "p1", zar("1"), at(2)))


def _disputed(app: App, tenant: str) -> str:
    """A card payment charged back with a hold; the hold's id."""
    card_payment(app, tenant, "C1", "80.00", "p1")
    app.ledger.handle(
        c.RecordChargeback(tenant, "cb1", "d1", "p1", zar("80"), at(2), reason="fraud claim")
    )
    [hold] = app.queries.active_holds(tenant, "C1")
    assert hold.released_at is None and hold.resolution is None
    return hold.hold_id


def test_released_hold_is_no_longer_active_and_keeps_its_history(app: App, tenant: str) -> None:
    hold_id = _disputed(app, tenant)
    before = journal_size(app, tenant)
    receipt = app.ledger.handle(
        c.ReleaseHold(tenant, "rel1", hold_id, at(30), c.HoldResolution.won, "issuer sided with us")
    )
    assert receipt.entry_ids == () and receipt.ref == hold_id
    assert receipt.details == {"customer_id": "C1", "resolution": "won"}
    assert journal_size(app, tenant) == before
    assert app.queries.active_holds(tenant, "C1") == []
    [hold] = app.queries.holds_of(tenant, "C1")
    assert (hold.hold_id, hold.dispute_id, hold.reason) == (hold_id, "d1", "fraud claim")
    assert (hold.placed_at, hold.released_at, hold.resolution) == (at(2), at(30), "won")


def test_hold_is_released_only_once_and_replay_returns_the_first_receipt(
    app: App, tenant: str
) -> None:
    hold_id = _disputed(app, tenant)
    first_cmd = c.ReleaseHold(tenant, "rel1", hold_id, at(30), c.HoldResolution.lost)
    first = app.ledger.handle(first_cmd)
    again = app.ledger.handle(first_cmd)
    assert again == first and again.replayed and not first.replayed
    with pytest.raises(IdempotencyConflict, match="different ReleaseHold"):
        app.ledger.handle(c.ReleaseHold(tenant, "rel1", hold_id, at(30), c.HoldResolution.won))
    # a second release of the hold is refused by its business key (one release per hold)
    with pytest.raises(Conflict, match=r"release 'hold-d1' was already recorded"):
        app.ledger.handle(c.ReleaseHold(tenant, "rel2", hold_id, at(31), c.HoldResolution.won))
    [hold] = app.queries.holds_of(tenant, "C1")
    assert (hold.released_at, hold.resolution) == (at(30), "lost")
    # the refused release wrote nothing, not even its idempotency key: the key is still free
    assert not app.ledger.handle(c.RegisterCustomer(tenant, "rel2", "C9")).replayed


def test_unknown_or_early_release_of_a_hold_is_refused(app: App, tenant: str) -> None:
    hold_id = _disputed(app, tenant)
    with pytest.raises(NotFound, match="no hold 'hold-nope'"):
        app.ledger.handle(c.ReleaseHold(tenant, "rel1", "hold-nope", at(30), c.HoldResolution.won))
    with pytest.raises(InputError, match="before the hold was placed"):
        app.ledger.handle(c.ReleaseHold(tenant, "rel2", hold_id, at(1), c.HoldResolution.won))
    with pytest.raises(InputError, match="timezone-aware"):
        app.ledger.handle(
            c.ReleaseHold(tenant, "rel3", hold_id, T0.replace(tzinfo=None), c.HoldResolution.won)
        )
    assert [h.hold_id for h in app.queries.active_holds(tenant, "C1")] == [hold_id]


def test_forfeit_on_termination_lapses_lots_and_account_credit(app: App, tenant: str) -> None:
    lot(app, tenant, "C1", "L1", 10, "10.00")
    grant(app, tenant, "g1", "gr1", "C1", "7.50")
    app.ledger.handle(
        c.ForfeitCredits(
            tenant,
            "ff1",
            "C1",
            c.ForfeitReason.termination,
            at(2),
            account_credit_currencies=("ZAR",),
        )
    )
    assert app.queries.balance(tenant, chart.account_credit("C1", "ZAR")) == zar("0").amount
    assert app.queries.balance(tenant, chart.credit_lots("C1")) == 0
    breakage = app.queries.balance(tenant, chart.tenant_account(Kind.breakage, "ZAR"))
    assert breakage == zar("17.50").amount


def test_reversal_is_a_new_linked_entry_and_only_once(app: App, tenant: str) -> None:
    receipt = app.ledger.handle(c.RecordCharge(tenant, "ch1", "inv1", "C1", zar("40"), T0))
    rev = app.ledger.handle(c.ReverseEntry(tenant, "rv1", receipt.entry_ids[0], at(1)))
    journal = {e.entry_id: e for e in app.queries.journal(tenant)}
    assert journal[rev.entry_ids[0]].reverses == receipt.entry_ids[0]
    assert app.queries.balance(tenant, chart.receivable("C1", "ZAR")) == zar("0").amount
    with pytest.raises(ImmutableEntry, match="already reversed"):
        app.ledger.handle(c.ReverseEntry(tenant, "rv2", receipt.entry_ids[0], at(2)))


def test_balances_as_of_any_instant_and_statement(app: App, tenant: str) -> None:
    app.ledger.handle(c.TopUpWallet(tenant, "k1", "p1", "C1", zar("10"), Method.eft, "bank", at(1)))
    app.ledger.handle(c.TopUpWallet(tenant, "k2", "p2", "C1", zar("5"), Method.eft, "bank", at(5)))
    wallet = W("C1", "ZAR")
    assert app.queries.balance(tenant, wallet, at(0)) == 0
    assert app.queries.balance(tenant, wallet, at(2)) == zar("10").amount
    assert app.queries.balance(tenant, wallet) == zar("15").amount
    lines = app.queries.statement(tenant, "C1")
    assert [(x.amount, x.balance) for x in lines] == [
        (zar("10").amount, zar("10").amount),
        (zar("5").amount, zar("15").amount),
    ]
    newest = app.queries.statement(tenant, "C1", limit=1)
    assert [(x.amount, x.balance) for x in newest] == [(zar("5").amount, zar("15").amount)]


def test_ledger_stays_consistent_after_a_mixed_day(app: App, tenant: str) -> None:
    card_payment(app, tenant, "C1", "100", "p1")
    top_up(app, tenant, "C1", "40", "p2")
    lot(app, tenant, "C1", "L1", 30, "9.99", paid_from=c.PaidFrom.wallet)
    app.ledger.handle(c.ConsumeCredits(tenant, "u1", "ev1", "C1", 7, at(1)))
    refund(app, tenant, "rf", "r1", "p2", "30.01", when=at(2))
    app.ledger.handle(c.ExpireLots(tenant, "x", at(days=31)))
    entries = app.queries.journal(tenant)
    lots = app.queries.lots_of(tenant, "C1")
    assert audit([(e.entry_id, line) for e in entries for line in e.lines], lots) == []
    assert (
        sum(b.amount for b in app.queries.balances(tenant) if b.account.kind is Kind.wallet)
        == zar("0").amount
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda t: c.RecordCharge(t, "k", "i1", "C1", Money.of("0", "ZAR"), T0),
        lambda t: c.RecordCharge(t, "k", "i1", "C1", Money.of("-1", "ZAR"), T0),
        lambda t: c.RecordCharge(t, "k", "i1", "C1", Money.of("1.001", "ZAR"), T0),
        lambda t: c.TopUpWallet(t, "k", "p1", "C1", Money.of("5", "ZAR"), Method.card, None, T0),
        lambda t: c.ChargeFee(t, "k", "f1", "C1", "no-such-decision", T0, "x"),
        lambda t: c.BuyCreditLot(
            t, "k", "L1", "C1", 0, Money.of("5", "ZAR"), LotSource.purchase, T0
        ),
        lambda t: c.ConsumeCredits(t, "k", "e1", "C1", 1, T0),
        lambda t: c.RecordCharge(t, "k", "i1", "bad id!", Money.of("1", "ZAR"), T0),
        lambda t: c.RecordCharge(t, "k", "i1", "C1", Money.of("1", "ZAR"), T0.replace(tzinfo=None)),
        lambda t: c.PayRefund(t, "k", "r1", "nope", "d1", T0),
        lambda t: c.RecordCharge(t, "k", "i1", "C1", Money.of("1", "XYZ"), T0),
        lambda t: c.BuyCreditLot(
            t, "k", "L1", "C1", 5, Money.of("5", "ZAR"), LotSource.purchase, T0, unit="XYZ"
        ),
        lambda t: c.TransferWallet(t, "k", "tr", "C1", "C1", Money.of("1", "ZAR"), T0),
        lambda t: c.IngestUsage(t, (UsageEvent("e1", "C1", 1, T0),), T0),
        lambda t: c.IngestUsage(t, (UsageEvent("e1", "C1", -1, T0),), T0),
    ],
)
def test_bad_input_is_refused_with_a_typed_error_and_writes_nothing(
    app: App, tenant: str, make: object
) -> None:
    from refundable.core.errors import RefundableError

    with pytest.raises(RefundableError) as info:
        app.ledger.handle(make(tenant))  # type: ignore[operator]
    assert info.value.message and info.value.code != "refundable_error"
    assert journal_size(app, tenant) == 0
    assert app.queries.balances(tenant) == []


def test_refund_in_another_currency_is_refused_and_writes_nothing(app: App, tenant: str) -> None:
    from refundable.core.errors import CurrencyError

    card_payment(app, tenant, "C1", "10.00", "p1")
    before = journal_size(app, tenant)
    usd = duplicate_charge("1.00").model_copy(
        update={"charge": duplicate_charge("1.00").charge.model_copy(update={"currency": "USD"})}  # type: ignore[union-attr]
    )
    decide(app, tenant, "d1", "C1", usd)
    with pytest.raises(CurrencyError, match="USD against a ZAR payment"):
        app.ledger.handle(c.PayRefund(tenant, "rf", "r1", "p1", "d1", at(1)))
    assert journal_size(app, tenant) == before
    assert app.queries.remaining_refundable(tenant, "p1") == zar("10.00")


def test_batch_of_many_customers_traces_every_event_to_its_lots(app: App, tenant: str) -> None:
    for cust in ("A", "B"):
        lot(app, tenant, cust, f"{cust}-soon", 3, "3.00", -20)
        lot(app, tenant, cust, f"{cust}-late", 10, "10.00", -10)
    events = tuple(UsageEvent(f"{cust}{i}", cust, 2, at(1)) for i in range(3) for cust in "AB")
    receipt = app.ledger.handle(c.IngestUsage(tenant, events, at(1)))
    assert len(receipt.entry_ids) == 2  # one entry per customer per batch
    assert [(x.lot_id, x.units) for x in app.queries.lots_of_event(tenant, "A1")] == [
        ("A-late", 1),
        ("A-soon", 1),
    ]
    assert app.queries.balance(tenant, chart.credit_lots("A")) == 7
    revenue = chart.tenant_account(Kind.revenue, "ZAR")
    assert app.queries.balance(tenant, revenue) == zar("12.00").amount


def test_account_credit_pays_and_a_refund_returns_to_it(app: App, tenant: str) -> None:
    grant(app, tenant, "g1", "gr1", "C1", "50")
    app.ledger.handle(c.RecordCharge(tenant, "ch1", "inv1", "C1", zar("30"), T0))
    app.ledger.handle(
        c.RecordPayment(tenant, "p1", "p1", "C1", zar("30"), Method.account_credit, None, T0)
    )
    assert app.queries.balance(tenant, chart.account_credit("C1", "ZAR")) == zar("20").amount
    with pytest.raises(InsufficientFunds):
        app.ledger.handle(
            c.RecordPayment(tenant, "p2", "p2", "C1", zar("21"), Method.account_credit, None, T0)
        )
    refund(app, tenant, "rf1", "r1", "p1", "30")
    assert app.queries.balance(tenant, chart.account_credit("C1", "ZAR")) == zar("50").amount
    assert app.queries.balance(tenant, chart.receivable("C1", "ZAR")) == zar("0").amount


def test_parent_accounts_roll_up_their_sub_accounts(app: App, tenant: str) -> None:
    top_up(app, tenant, "A", "10.00", "p1")
    top_up(app, tenant, "B", "2.50", "p2")
    card_payment(app, tenant, "A", "7.00", "p3")
    totals = app.queries.rollup(tenant)
    assert totals[("wallet", "ZAR")] == zar("12.50").amount
    assert totals[("clearing", "ZAR")] == zar("19.50").amount
    assert totals[("receivable", "ZAR")] == zar("0").amount
