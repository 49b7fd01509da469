"""The bus owns idempotency: every command posted twice replays its first receipt and writes
nothing more; the same key with a changed payload is refused; a business id reused with other
content is refused, with the same content replayed (on the in-memory store)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

import pytest

from fakes import (
    T0,
    TENANT,
    at,
    card_payment,
    credit_due,
    customer,
    decide,
    duplicate_charge,
    fee_due,
    lot,
    memory_app,
    top_up,
    zar,
)
from refundable.billing.plans import Cycle
from refundable.billing.rules import RetentionTrigger
from refundable.bootstrap import App
from refundable.core.errors import IdempotencyConflict
from refundable.core.methods import Method
from refundable.ledger.lots import LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c
from refundable.service.bus import HANDLERS
from refundable.service.common import entry_id
from refundable.service.ports import ChargeStatus, RefundStatus

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _ready() -> App:
    """A tenant with customers, a wallet, a paid invoice, a lot, used credits, decisions and a
    chargeback hold: enough for every command to succeed once."""
    app = memory_app()
    customer(app, TENANT, "R1")
    customer(app, TENANT, "C1", reseller_id="R1")
    top_up(app, TENANT, "R1", "50.00", "w1")
    card_payment(app, TENANT, "C1", "100.00", "p1")
    card_payment(app, TENANT, "C1", "40.00", "p2")
    lot(app, TENANT, "C1", "L1", 100, "10.00")
    app.ledger.handle(c.ConsumeCredits(TENANT, "use-e0", "e0", "C1", 5, at(1)))
    decide(app, TENANT, "dr", "C1", duplicate_charge("10.00"))
    decide(app, TENANT, "dc", "C1", credit_due("5.00"))
    decide(app, TENANT, "df", "R1", fee_due("4.00"))
    app.ledger.handle(c.RecordChargeback(TENANT, "cb-x", "dx", "p2", zar("40.00"), at(1)))
    _subscriptions(app)
    _payouts(app)
    return app


def _subscriptions(app: App) -> None:
    """Plans and subscriptions in the states the subscription commands start from."""
    for plan, tier in (("basic", 1), ("pro", 2)):
        app.ledger.handle(c.DefinePlan(TENANT, f"pl-{plan}", plan, tier, Cycle.monthly,
                                       zar(f"{tier}00.00")))  # fmt: skip
    for sid, plan in (("S1", "pro"), ("S2", "pro"), ("S4", "pro"), ("S5", "pro"), ("S6", "basic")):
        app.ledger.handle(c.Subscribe(TENANT, f"sub-{sid}", sid, "C1", plan, at(1)))
    app.ledger.handle(c.CancelSubscription(TENANT, "cancel-S2", "S2", at(1)))
    app.ledger.handle(c.DowngradePlan(TENANT, "down-S4", "S4", "basic", at(1)))
    app.ledger.handle(c.RecordPaymentFailure(TENANT, "fail-S5", "S5", at(1)))
    app.ledger.handle(c.StartTrial(TENANT, "trial-S3", "S3", "C1", "basic", 14, at(1)))
    app.ledger.handle(c.CancelSubscription(TENANT, "cancel-S3", "S3", at(1)))
    app.ledger.handle(c.AttachPaymentMethod(TENANT, "pm-C2", "C2", "sandbox", "pm_2", at(1)))


def _payouts(app: App) -> None:
    """A payout sent to the gateway (po1) and one whose card is gone (po2), for the payout
    commands; a decision (dq) left for a new payout."""
    for d in ("dp", "da", "dq"):
        decide(app, TENANT, d, "C1", duplicate_charge("10.00"))
    for po, d in (("po1", "dp"), ("po2", "da")):
        app.ledger.handle(c.RequestPayout(TENANT, f"req-{po}", po, f"m-{po}", f"case-{po}", "C1",
                                          "p1", d, zar("10.00"), "sandbox", at(1)))  # fmt: skip
    app.ledger.handle(c.RecordGatewayRefund(TENANT, "gw-po2", "po2", "gw2", RefundStatus.failed,
                                            at(1), "instrument_invalid"))  # fmt: skip


CHARGE = c.RecordCharge(TENANT, "k", "inv9", "C1", zar("10.00"), T0)
PENDING_CHARGE = c.RecordGatewayCharge(
    TENANT, "k", "chg9", c.ChargePurpose.subscription, "S1", "C1", zar("200.00"), "sandbox",
    "sbx_ch_9", ChargeStatus.pending, at(2),
)  # fmt: skip
# (command, a field to change, its changed value): every command the bus knows.
CASES: list[tuple[c.Command, str, object]] = [
    (c.PublishPolicy(TENANT, "k", "x", name="Acme"), "name", "Acme 2"),
    (c.RegisterCustomer(TENANT, "k", "C9"), "group_id", "G1"),
    (c.CreateTestClock(TENANT, "k", "clk9", T0), "frozen_at", at(1)),
    (CHARGE, "amount", zar("11.00")),
    (
        c.RecordPayment(TENANT, "k", "p9", "C1", zar("5"), Method.card, "stripe", T0),
        "provider",
        "bank",
    ),
    (c.TopUpWallet(TENANT, "k", "w9", "C1", zar("5"), Method.eft, "bank", T0), "amount", zar("6")),
    (c.TransferWallet(TENANT, "k", "tr9", "R1", "C1", zar("5"), at(2)), "amount", zar("6")),
    (c.DecideRefund(TENANT, "k", "d9", "C1", duplicate_charge("3.00")), "customer_id", "R1"),
    (c.PayRefund(TENANT, "k", "r9", "p1", "dr", at(2)), "reason", "changed"),
    (c.GrantAccountCredit(TENANT, "k", "g9", "C1", "dc", at(2)), "reason", "changed"),
    (c.ChargeFee(TENANT, "k", "f9", "R1", "df", at(2)), "reason", "changed"),
    (c.RecordChargeback(TENANT, "k", "d9", "p1", zar("5"), at(2)), "amount", zar("6")),
    (c.ReleaseHold(TENANT, "k", "hold-dx", at(2), c.HoldResolution.won), "reason", "changed"),
    (c.BuyCreditLot(TENANT, "k", "L9", "C1", 5, zar("1"), LotSource.purchase, T0), "units", 6),
    (c.ConsumeCredits(TENANT, "k", "e9", "C1", 1, at(2)), "units", 2),
    (c.FailUsage(TENANT, "k", "e0", "platform", at(2)), "cause", "provider"),
    (c.ExpireLots(TENANT, "k", at(days=40)), "as_of", at(days=41)),
    (
        c.ForfeitCredits(TENANT, "k", "C1", c.ForfeitReason.closure, at(2)),
        "reason",
        c.ForfeitReason.termination,
    ),
    (c.ReverseEntry(TENANT, "k", entry_id(TENANT, "chg-p1"), at(2)), "memo", "changed"),
    (c.RecordCustomerProfile(TENANT, "k", "C1", T0, name="Ann"), "name", "Bob"),
    (c.ScheduleRetention(TENANT, "k", "C1", RetentionTrigger.cancellation, at(2)), "at", at(3)),
    (c.WithdrawRetention(TENANT, "k", "C1", at(2)), "at", at(3)),
    (c.ErasePersonalData(TENANT, "k", "C1", at(2)), "at", at(3)),
    (c.DefinePlan(TENANT, "k", "p9", 1, Cycle.monthly, zar("5")), "price", zar("6")),
    (c.StartTrial(TENANT, "k", "S9", "C1", "basic", 14, at(2)), "trial_days", 15),
    (c.Subscribe(TENANT, "k", "S8", "C1", "basic", at(2)), "plan_id", "pro"),
    (c.UpgradePlan(TENANT, "k", "S6", "pro", at(2)), "actor_id", "portal"),
    (c.DowngradePlan(TENANT, "k", "S1", "basic", at(2)), "actor_id", "portal"),
    (c.WithdrawDowngrade(TENANT, "k", "S4", at(2)), "actor_id", "portal"),
    (c.CancelSubscription(TENANT, "k", "S1", at(2)), "actor_id", "portal"),
    (c.UndoCancellation(TENANT, "k", "S2", at(2)), "actor_id", "portal"),
    (c.TerminateSubscription(TENANT, "k", "S1", "spam", at(2)), "reason", "abuse"),
    (c.SuspendSubscription(TENANT, "k", "S5", at(2)), "actor_id", "portal"),
    (c.RecordPaymentFailure(TENANT, "k", "S1", at(2)), "reason", "declined"),
    (
        c.ReactivateSubscription(TENANT, "k", "S3", "basic", at(2), "S7"),
        "new_subscription_id",
        "S70",
    ),
    (
        c.RecordRenewalPayment(TENANT, "k", "S1", "pay9", zar("5"), Method.card, "stripe", at(2)),
        "amount",
        zar("6"),
    ),
    (
        c.RequestPayout(
            TENANT, "k", "po9", "m9", "case9", "C1", "p1", "dq", zar("10.00"), "sandbox", at(2)
        ),
        "gateway",
        "stripe",
    ),
    (c.RecordGatewayRefund(TENANT, "k", "po1", "gw1", RefundStatus.pending, at(2)), "at", at(3)),
    (c.RedirectPayout(TENANT, "k", "po2", Method.eft, "ZA-ACC-1", at(2)), "destination", "ZA-2"),
    (c.AttachPaymentMethod(TENANT, "k", "C1", "sandbox", "pm_1", at(2)), "gateway_ref", "pm_x"),
    (c.RemovePaymentMethod(TENANT, "k", "C2", at(2)), "at", at(3)),
    (PENDING_CHARGE, "gateway_charge_id", "sbx_ch_10"),
    (c.DefinePromotion(TENANT, "k", "HALF", Decimal(50)), "cycles", 2),
    (
        c.RegisterWebhookEndpoint(
            TENANT, "k", "ep9", "https://hooks.example/r", SECRET, ("*",), at(2)
        ),
        "url",
        "https://hooks.example/other",
    ),
]


def _with_policy_text(cmd: c.Command) -> c.Command:
    from fakes import acme_policy_text

    if isinstance(cmd, c.PublishPolicy):  # a second version, effective later
        text = acme_policy_text().replace(
            "effective_from: 2025-10-25", "effective_from: 2026-05-01"
        )
        return dataclasses.replace(
            cmd, text=text.replace('version: "2025-10-25"', 'version: "2026-05"')
        )
    return cmd


@pytest.mark.parametrize(("cmd", "field", "changed"), CASES, ids=lambda x: type(x).__name__)
def test_every_command_twice_replays_and_a_changed_payload_is_refused(
    cmd: c.Command, field: str, changed: object
) -> None:
    app = _ready()
    cmd = _with_policy_text(cmd)
    first = app.ledger.handle(cmd)
    size = len(app.queries.journal(TENANT))
    again = app.ledger.handle(cmd)
    assert again == first and again.replayed and not first.replayed
    assert len(app.queries.journal(TENANT)) == size
    with pytest.raises(IdempotencyConflict, match=f"different {type(cmd).__name__}"):
        app.ledger.handle(dataclasses.replace(cmd, **{field: changed}))  # type: ignore[type-var]
    assert len(app.queries.journal(TENANT)) == size


# Commands without a key, idempotent by their own record: a usage batch per event id, a due
# action by its row's state (tests/service/test_scheduled.py), a test clock by its instant.
KEY_FREE = {c.IngestUsage, c.RunDueAction, c.RunDueBatch, c.RecordActionFailure,
            c.MoveTestClock, c.ScheduleCheckpoints, c.FanOutWebhook}  # fmt: skip
# Refund-case commands need a case in a given state: tests/service/test_case_idempotency.py
# runs each twice along one walk per policy.
CASE_COMMANDS = {
    c.OpenCase, c.ProvideInformation, c.JudgeCase, c.OverrideDecision, c.WithdrawCase,
    c.AppealCase, c.EscalateCase, c.UpholdDecision, c.AcceptSettlement, c.RecordCasePaid,
    c.ResolveDispute,
}  # fmt: skip


# Replayed and refused on a tenant whose policy bills usage, in
# tests/integration/lifecycle/test_usage_billing.py (this file's tenant runs Conek's policy).
USAGE_COMMANDS = {c.BillOverage, c.DisputeUsageCharge}
# Need a policy with lifecycle.discontinuation or lifecycle.promotions: replayed and refused in
# tests/integration/lifecycle/test_discontinuation_stores.py and test_promotions_stores.py.
LIFECYCLE_POLICY_COMMANDS = {c.DiscontinueService, c.ApplyPromotion}


def test_the_cases_cover_every_command_but_the_key_free_ones() -> None:
    covered = {type(cmd) for cmd, _, _ in CASES}
    others = KEY_FREE | CASE_COMMANDS | USAGE_COMMANDS | LIFECYCLE_POLICY_COMMANDS
    assert covered | others == set(HANDLERS)


def test_a_usage_batch_is_idempotent_per_event_without_a_key() -> None:
    app = _ready()
    events = (UsageEvent("b1", "C1", 1, at(2)), UsageEvent("b2", "C1", 1, at(2)))
    first = app.ledger.handle(c.IngestUsage(TENANT, events, at(2)))
    again = app.ledger.handle(c.IngestUsage(TENANT, events, at(2)))
    assert (first.details["accepted"], again.details["duplicates"]) == ("2", "2")
    assert again.entry_ids == ()
    with pytest.raises(IdempotencyConflict, match="b1"):
        app.ledger.handle(c.IngestUsage(TENANT, (UsageEvent("b1", "C1", 2, at(2)),), at(2)))


BUSINESS: list[tuple[str, Callable[[str], c.Command], Callable[[str], c.Command]]] = [
    ("charge_id", lambda k: dataclasses.replace(CHARGE, idempotency_key=k),
     lambda k: dataclasses.replace(CHARGE, idempotency_key=k, amount=zar("12"))),
    ("payment_id", lambda k: c.TopUpWallet(TENANT, k, "w9", "C1", zar("5"), Method.eft, "bank", T0),
     lambda k: c.RecordPayment(TENANT, k, "w9", "C1", zar("5"), Method.eft, "bank", T0)),
    ("refund_id", lambda k: c.PayRefund(TENANT, k, "r9", "p1", "dr", at(2)),
     lambda k: c.PayRefund(TENANT, k, "r9", "p1", "dr", at(3))),
    ("decision_id", lambda k: c.PayRefund(TENANT, k, "r8", "p1", "dr", at(2)),
     lambda k: c.PayRefund(TENANT, k, "r7", "p1", "dr", at(2))),
    ("dispute_id", lambda k: c.RecordChargeback(TENANT, k, "dx2", "p1", zar("5"), at(2)),
     lambda k: c.RecordChargeback(TENANT, k, "dx2", "p1", zar("6"), at(2))),
    ("event_id", lambda k: c.ConsumeCredits(TENANT, k, "e9", "C1", 1, at(2)),
     lambda k: c.ConsumeCredits(TENANT, k, "e9", "C1", 2, at(2))),
    ("fee_id", lambda k: c.ChargeFee(TENANT, k, "f9", "R1", "df", at(2)),
     lambda k: c.ChargeFee(TENANT, k, "f9", "R1", "df", at(3))),
]  # fmt: skip


@pytest.mark.parametrize(("field", "make", "other"), BUSINESS, ids=[b[0] for b in BUSINESS])
def test_a_business_id_reused_replays_the_same_content_and_refuses_other_content(
    field: str, make: Callable[[str], c.Command], other: Callable[[str], c.Command]
) -> None:
    app = _ready()
    first = app.ledger.handle(make("key-1"))
    size = len(app.queries.journal(TENANT))
    again = app.ledger.handle(make("key-2"))  # a new key, the same thing: nothing new written
    assert again.replayed and again.entry_ids == first.entry_ids and again.ref == first.ref
    with pytest.raises(IdempotencyConflict, match="already recorded") as info:
        app.ledger.handle(other("key-3"))
    assert info.value.where is not None and info.value.where.endswith(field)
    assert len(app.queries.journal(TENANT)) == size
    assert app.ledger.handle(make("key-2")).replayed  # key-2 now holds the receipt too
