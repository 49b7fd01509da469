"""The outbox worker on the in-memory store: each kind is sent once, failures back off and end
dead at the cap, a payout settles once whatever the gateway says and in whatever order, and
the settled-payout hooks run in the settling transaction (on the real sandbox gateway)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fakes import T0, TENANT, customer, decide, duplicate_charge, memory_app, zar
from outbox_kit import (
    PAID_AT,
    Hooks,
    Mails,
    approved_payout,
    caseless_payouts,
    drain,
    refund_entries,
    sandbox,
    senders,
    write,
)
from refundable.adapters.payments.sandbox import Faults
from refundable.core.errors import IdempotencyConflict
from refundable.core.methods import Method
from refundable.core.money import FxRate, Money
from refundable.service import commands as c
from refundable.service.common import Context
from refundable.service.outbox import RetryPolicy
from refundable.service.outbox_kinds import email_message, payout_message, webhook_message
from refundable.service.outbox_store import MessageState, Outcome
from refundable.service.payouts import PAYOUT_SETTLED_HOOKS, PayoutSettled
from refundable.service.ports import RefundStatus

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(autouse=True)
def _caseless() -> Iterator[None]:
    """These payouts belong to no refund case (see ``outbox_kit.caseless_payouts``)."""
    with caseless_payouts():
        yield


def test_an_email_is_sent_once_and_logged(tmp_path: Path) -> None:
    app, mails = memory_app(), Mails()
    write(app, TENANT, email_message("m1", to="a@b.example", subject="S", text="T", at=PAID_AT))
    assert drain(app, senders(sandbox(tmp_path), mails)).sent == 1
    assert drain(app, senders(sandbox(tmp_path), mails)).sent == 0
    assert mails.sent == [("a@b.example", "S", "T", None)]
    [attempt] = app.outbox.attempts(TENANT)  # type: ignore[union-attr]
    assert (attempt.outcome, attempt.target, attempt.attempt) == (Outcome.sent, "a@b.example", 1)


def test_failures_back_off_exponentially_then_go_dead(tmp_path: Path) -> None:
    app, mails = memory_app(), Mails(fail_next=100)
    write(app, TENANT, email_message("m1", to="a@b.example", subject="S", text="T", at=PAID_AT))
    policy = RetryPolicy(first=timedelta(minutes=1), cap=timedelta(minutes=5), max_failures=5)
    now, gaps = PAID_AT, []
    for _ in range(10):
        drain(app, senders(sandbox(tmp_path), mails), now, policy=policy)
        book = app.outbox.book(TENANT, "m1")  # type: ignore[union-attr]
        assert book is not None
        if book.state is MessageState.dead:
            break
        assert book.next_at is not None
        gaps.append(book.next_at - now)
        assert drain(app, senders(sandbox(tmp_path), mails), book.next_at - timedelta(seconds=1),
                     policy=policy).retried == 0  # not due a second early  # fmt: skip
        now = book.next_at
    assert [g.total_seconds() / 60 for g in gaps] == [1, 2, 4, 5]  # doubling, capped at 5
    assert book.state is MessageState.dead and "relay down" in (book.last_error or "")
    outcomes = [a.outcome for a in app.outbox.attempts(TENANT)]  # type: ignore[union-attr]
    assert outcomes == [Outcome.retry] * 4 + [Outcome.dead]


def test_a_payout_settles_once_with_one_ledger_entry(tmp_path: Path) -> None:
    app, gw = memory_app(), sandbox(tmp_path)
    approved_payout(app, TENANT, "case1")
    assert drain(app, senders(gw)).sent == 1
    assert drain(app, senders(gw), PAID_AT + timedelta(days=9)).sent == 0
    [payout] = app.outbox.payouts(TENANT)  # type: ignore[union-attr]
    assert payout.state.value == "settled" and payout.amount == zar("40.00")
    assert refund_entries(app, TENANT) == [payout.entry_id]
    [refund] = gw.refunds()
    assert refund["idem_key"] == payout.gateway_key and refund["amount"] == "40.00"


def test_slow_settlement_waits_and_polls_until_settled(tmp_path: Path) -> None:
    app, gw = memory_app(), sandbox(tmp_path)
    gw.set_faults(Faults(slow_polls=2))
    approved_payout(app, TENANT, "case1")
    policy = RetryPolicy(poll=timedelta(hours=6))
    assert drain(app, senders(gw), policy=policy).waiting == 1
    assert app.outbox.payouts(TENANT)[0].state.value == "sent"  # type: ignore[union-attr]
    assert refund_entries(app, TENANT) == []  # nothing posted while the money is in flight
    assert drain(app, senders(gw), PAID_AT + timedelta(hours=7), policy=policy).waiting == 1
    assert drain(app, senders(gw), PAID_AT + timedelta(hours=14), policy=policy).sent == 1
    assert app.outbox.payouts(TENANT)[0].state.value == "settled"  # type: ignore[union-attr]
    assert len(refund_entries(app, TENANT)) == 1 and len(gw.refunds()) == 1


def test_a_declined_refund_fails_without_moving_money(tmp_path: Path) -> None:
    app, gw = memory_app(), sandbox(tmp_path)
    gw.set_faults(Faults(decline=1.0))
    approved_payout(app, TENANT, "case1")
    assert drain(app, senders(gw)).sent == 1
    [payout] = app.outbox.payouts(TENANT)  # type: ignore[union-attr]
    assert (payout.state.value, payout.failure_reason) == ("failed", "declined")
    assert refund_entries(app, TENANT) == []


def test_a_gone_instrument_waits_for_the_alternative_then_pays_it(tmp_path: Path) -> None:
    """MyProtektor 8.1: the card is no longer valid, so the payout waits until the customer
    accepts the alternative arrangement (an EFT to an account they name), then pays that."""
    app, gw = memory_app(), sandbox(tmp_path)
    gw.set_faults(Faults(invalid_refs=("pay-case1",)))
    approved_payout(app, TENANT, "case1")
    drain(app, senders(gw))
    [payout] = app.outbox.payouts(TENANT)  # type: ignore[union-attr]
    assert payout.state.value == "awaiting_alternative"
    gw.set_faults(Faults())
    app.bus.handle(
        c.RedirectPayout(TENANT, "alt-1", payout.payout_id, Method.eft, "ZA-ACC-0001", PAID_AT)
    )
    assert drain(app, senders(gw), PAID_AT + timedelta(hours=1)).sent == 1
    [after] = app.outbox.payouts(TENANT)  # type: ignore[union-attr]
    assert (after.state.value, after.method.value, after.destination) == (
        "settled", "eft", "ZA-ACC-0001")  # fmt: skip
    assert after.expected_by > payout.expected_by  # EFT takes longer than card
    keys = [r["idem_key"] for r in gw.refunds()]
    assert len(keys) == 2 and len(set(keys)) == 2  # a fresh key for the new instrument
    assert len(refund_entries(app, TENANT)) == 1


def test_cross_currency_uses_the_rate_at_processing_and_records_it(tmp_path: Path) -> None:
    """MyProtektor 8.2: a ZAR refund of a USD payment, at the rate when the payout runs."""
    app, gw = memory_app(), sandbox(tmp_path)
    customer(app, TENANT, "C1")
    app.bus.handle(c.RecordCharge(TENANT, "chg", "inv", "C1", Money.of("10.00", "USD"), T0))
    app.bus.handle(c.RecordPayment(TENANT, "pay", "pay-usd", "C1", Money.of("10.00", "USD"),
                                   Method.card, "stripe", T0))  # fmt: skip
    decide(app, TENANT, "d-usd", "C1", duplicate_charge("185.00"))  # ZAR, the refund currency
    write(app, TENANT, payout_message("m-usd", case_id="case-usd", customer_id="C1",
                                      payment_id="pay-usd", amount=zar("185.00"),
                                      decision_id="d-usd", at=T0))  # fmt: skip
    drain(app, senders(gw, fx="USD/ZAR=18.50"))
    [payout] = app.outbox.payouts(TENANT)  # type: ignore[union-attr]
    assert payout.amount == Money.of("10.00", "USD") and payout.state.value == "settled"
    assert payout.fx is not None and payout.fx.source.startswith("test table")
    assert payout.fx.rate == FxRate.parse("USD/ZAR", "18.50").inverse().rate
    [entry] = [e for e in app.queries.journal(TENANT) if e.kind.value == "refund"]
    assert entry.meta["fx_source"] == payout.fx.source


def test_duplicate_and_reordered_callbacks_change_nothing(tmp_path: Path) -> None:
    app, gw = memory_app(), sandbox(tmp_path)
    gw.set_faults(Faults(duplicate_callbacks=True, reorder_callbacks=True))
    approved_payout(app, TENANT, "case1")
    drain(app, senders(gw))
    callbacks = gw.take_callbacks()
    assert [cb.status for cb in callbacks].count(RefundStatus.succeeded) == 2
    [payout] = app.outbox.payouts(TENANT)  # type: ignore[union-attr]
    for n, cb in enumerate(callbacks):  # newest first: succeeded twice, then a stale pending
        app.bus.handle(c.RecordGatewayRefund(TENANT, f"cb-{n}", payout.payout_id, cb.refund_id,
                                             cb.status, PAID_AT))  # fmt: skip
    assert app.outbox.payouts(TENANT)[0].state.value == "settled"  # type: ignore[union-attr]
    assert len(refund_entries(app, TENANT)) == 1


def test_settled_hooks_run_inside_the_settling_transaction(tmp_path: Path) -> None:
    app, gw = memory_app(), sandbox(tmp_path)
    approved_payout(app, TENANT, "case1")
    seen: list[PayoutSettled] = []

    def boom(event: PayoutSettled, ctx: Context) -> None:
        seen.append(event)
        raise RuntimeError("the case could not move to paid")

    PAYOUT_SETTLED_HOOKS.append(boom)
    try:
        assert drain(app, senders(gw)).retried == 1
    finally:
        PAYOUT_SETTLED_HOOKS.remove(boom)
    assert seen and seen[0].amount == zar("40.00") and seen[0].case_id == "case1"
    assert refund_entries(app, TENANT) == []  # the hook failed: the money did not move either
    assert app.outbox.payouts(TENANT)[0].state.value == "requested"  # type: ignore[union-attr]
    assert drain(app, senders(gw), PAID_AT + timedelta(hours=1)).sent == 1  # then it does
    assert len(refund_entries(app, TENANT)) == 1 and len(gw.refunds()) == 1


def test_a_second_payout_of_the_same_decision_is_refused(tmp_path: Path) -> None:
    app, gw = memory_app(), sandbox(tmp_path)
    approved_payout(app, TENANT, "case1")
    drain(app, senders(gw))
    with pytest.raises(IdempotencyConflict, match="refund_of"):
        app.bus.handle(c.PayRefund(TENANT, "manual", "r-manual", "pay-case1", "d-case1", PAID_AT))
    write(app, TENANT, payout_message("m-again", case_id="case-2", customer_id="C1",
                                      payment_id="pay-case1", amount=zar("40.00"),
                                      decision_id="d-case1", at=PAID_AT))  # fmt: skip
    assert drain(app, senders(gw), PAID_AT + timedelta(hours=1)).dead == 1
    assert len(refund_entries(app, TENANT)) == 1 and len(gw.refunds()) == 1


def test_a_webhook_event_fans_out_to_each_endpoint_signed(tmp_path: Path) -> None:
    from standardwebhooks import Webhook

    app, hooks = memory_app(), Hooks()
    for ep, types in (("ep1", ("*",)), ("ep2", ("payout.settled",)), ("ep3", ("case.decided",))):
        app.bus.handle(c.RegisterWebhookEndpoint(TENANT, f"reg-{ep}", ep,
                                                 f"https://hooks.example/{ep}", SECRET, types,
                                                 PAID_AT))  # fmt: skip
    write(app, TENANT, webhook_message("ev1", event_type="case.decided", event_id="evt-1",
                                       data={"case_id": "case1"}, at=PAID_AT))  # fmt: skip
    report = drain(app, senders(sandbox(tmp_path), hooks=hooks), PAID_AT)
    assert report.sent == 3  # the event, then one delivery to each of ep1 and ep3
    assert sorted(url for url, _, _ in hooks.posted) == [
        "https://hooks.example/ep1", "https://hooks.example/ep3"]  # fmt: skip
    _, headers, body = hooks.posted[0]
    assert json.loads(body)["data"] == {"case_id": "case1"}
    ts = int(headers["webhook-timestamp"])
    sent_at = datetime.fromtimestamp(ts, UTC)
    expected = Webhook(SECRET).sign(headers["webhook-id"], sent_at, body.decode())
    assert headers["webhook-signature"] == expected
    log = app.outbox.attempts(TENANT, kind="webhook_delivery")  # type: ignore[union-attr]
    assert sorted(a.target for a in log) == ["ep1", "ep3"]  # type: ignore[type-var]
    assert {a.status_code for a in log} == {204}


def test_a_dead_email_resent_is_delivered_once_with_an_audit_entry(tmp_path: Path) -> None:
    from refundable.service.outbox import resend_dead_letter

    app, mails = memory_app(), Mails(fail_next=1)
    write(app, TENANT, email_message("m1", to="a@b.example", subject="S", text="T", at=T0))
    drain(app, senders(sandbox(tmp_path), mails), T0, TENANT, RetryPolicy(max_failures=1))
    assert app.outbox is not None
    assert [m.message_id for m in app.outbox.messages(TENANT, MessageState.dead)] == ["m1"]
    done = resend_dead_letter(app.outbox, TENANT, "m1", "agent:ann", "relay fixed", T0)
    assert done.resent and done.kind == "email"
    assert drain(app, senders(sandbox(tmp_path), mails), T0, TENANT).sent == 1
    assert len(mails.sent) == 1
    log = app.outbox.attempts(TENANT, message_id="m1")
    assert [(a.attempt, a.outcome) for a in log] == [
        (1, Outcome.dead), (2, Outcome.resent), (3, Outcome.sent)]  # fmt: skip
