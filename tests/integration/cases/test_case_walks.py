"""Done-when for refund cases: per source policy, one case walked through every state its
policy allows, against a test clock, on SQLite and PostgreSQL (the ``app`` fixture runs each
test on both). At each step the test checks the ledger, the case's outbox rows, and what
actually arrived: the emails received by a local SMTP server and the webhooks received and
signature-verified by a local endpoint (``case_walk``). Payouts go through the real outbox
worker and the sandbox gateway, which settles a refund on its second status poll (a card
refund is not instant), so "paying" and "paid" are seen apart."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from case_walk import Received, received
from casefakes import (
    Kind,
    Method,
    Reason,
    Subject,
    case_of,
    charge_and_pay,
    days,
    kinds,
    open_case,
    outbox_for,
    policy_tenant,
    tenant_balance,
    usd,
    wallet_balance,
    zar,
)
from refundable.adapters.payments.sandbox import Faults
from refundable.bootstrap import App
from refundable.core.errors import Conflict
from refundable.core.time import UTC
from refundable.policy.casesdoc import StageName as Stage
from refundable.policy.document import Outcome
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

POLL = timedelta(hours=2)  # past the worker's poll interval: a pending payout is asked again


def _clock(app: App, tenant: str, at: datetime) -> None:
    app.bus.handle(c.CreateTestClock(tenant, "tc", "tc", at))


def _slow_settlement(got: Received) -> None:
    got.gateway.set_faults(Faults(slow_polls=1))


def _paid_refunds(got: Received) -> list[tuple[str, str]]:
    return [(r["amount"], r["status"]) for r in got.gateway.refunds()]


def test_conek_case_waits_for_information_is_paid_and_is_final(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "conek")
    t0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday
    _clock(app, tenant, t0)
    ch, p = charge_and_pay(app, tenant, "C1", zar("499.00"), t0)
    facts = {"charge": {"kind": "subscription", "billing": "monthly"}}
    with received(app, tenant, tmp_path, t0) as got:
        _slow_settlement(got)
        case_id, r = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge,
                               t0 + days(1), information={"explanation": "charged twice",
                                                          "email": "c1@acme.test"},
                               facts=facts, payment_id=p)  # fmt: skip
        assert r.details["state"] == "awaiting_information"
        assert r.details["missing"] == "account"
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == 0
        now = got.drain(t0 + days(1))
        assert now.types == ["case.opened", "case.information_requested"]
        assert [h["data"]["case_id"] for h in now.hooks] == [case_id, case_id]
        assert len(now.emails) == 2 and {m["To"] for m in now.emails} == {"c1@acme.test"}
        assert "account" in now.text("needs more")
        # nothing runs while the clock is paused: a week passes with no warning
        advance_test_clock(app.bus, app.work, tenant, "tc", t0 + days(8))
        assert "sla_warning" not in kinds(app, tenant, case_id)
        now = got.drain(t0 + days(8))
        assert (now.emails, now.hooks) == ([], [])
        answer = {"account": "c1@acme.test Acme"}
        r = app.bus.handle(c.ProvideInformation(tenant, "pi", case_id, t0 + days(8),
                                                "customer:C1", information=answer))  # fmt: skip
        assert r.details["state"] == "paying"
        [payout] = outbox_for(app, tenant, case_id, "payout")
        assert (payout["payment_id"], payout["amount"], payout["currency"]) == (p, "499.00", "ZAR")
        now = got.drain(t0 + days(8))  # the gateway took the refund; it has not settled yet
        assert now.types == ["case.information_provided", "case.decided",
                             "case.payout_requested"]  # fmt: skip
        assert "8." in now.text("Decision on")  # the explanation cites the clauses
        assert _paid_refunds(got) == [("499.00", "pending")]
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == 0
        assert case_of(app, tenant, case_id).state.value == "paying"
        now = got.drain(t0 + days(8) + POLL)
        assert now.types == ["case.paid"] and len(now.emails) == 1
        assert "was paid" in now.subjects[0]
        assert _paid_refunds(got) == [("499.00", "succeeded")]
        assert case_of(app, tenant, case_id).state.value == "paid"
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("499.00")
        with pytest.raises(Conflict, match=r"final \(clause 8.2\)"):
            app.bus.handle(c.AppealCase(tenant, "ap", case_id, t0 + days(11), "customer:C1"))
        now = got.drain(t0 + days(11))
        assert (now.emails, now.hooks) == ([], [])  # a refused appeal sends nothing
    assert kinds(app, tenant, case_id) == [
        "opened", "information_requested", "information_provided", "decided",
        "payout_requested", "paid",
    ]  # fmt: skip
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("499.00")


def test_myprotektor_case_through_review_payout_and_every_appeal_stage(
    app: App, tmp_path: Path
) -> None:
    tenant = policy_tenant(app, "myprotektor")
    t0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday 10:00 local
    _clock(app, tenant, t0)
    ch, p = charge_and_pay(app, tenant, "M1", zar("1200.00"), t0)
    info = {"account": "m1@corp.test Corp", "explanation": "not for us", "evidence": "shot.png",
            "email": "m1@corp.test"}  # fmt: skip
    facts = {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True,
                        "period": {"start": "2026-03-02T10:00:00+02:00",
                                   "end": "2026-04-02T10:00:00+02:00"}}}  # fmt: skip
    with received(app, tenant, tmp_path, t0) as got:
        _slow_settlement(got)
        case_id, r = open_case(app, tenant, "M1", Subject.charge, ch, Reason.change_of_mind,
                               t0 + days(3), information=info, facts=facts,
                               payment_id=p)  # fmt: skip
        assert r.details["state"] == "in_review"  # 7.3: every outcome waits for an agent
        now = got.drain(t0 + days(3))
        assert now.types == ["case.opened", "case.review_started"]
        assert now.subjects == [f"We received your refund request {case_id}"]
        assert outbox_for(app, tenant, case_id, "payout") == []
        # the engine's assessment at intake kept the initial review; the investigation (7
        # business days from Thu 5 Mar: Mon 16 Mar 17:00) warns, then breaches, before the
        # agent decides
        advance_test_clock(app.bus, app.work, tenant, "tc", t0 + days(16))
        ev = kinds(app, tenant, case_id)
        assert ev.count("sla_warning") >= 1 and ev.count("sla_breached") == 1
        now = got.drain(t0 + days(16))
        assert now.emails == []
        assert set(now.types) == {"case.sla_warning", "case.sla_breached"}
        assert now.types.count("case.sla_breached") == 1
        [breach] = [h for h in now.hooks if h["type"] == "case.sla_breached"]
        assert breach["data"]["data"]["stage"] == "investigation"
        case = case_of(app, tenant, case_id)
        initial, investigation = case.clock(Stage.initial_review), case.clock(Stage.investigation)
        assert initial is not None and initial.kept is True
        assert investigation is not None and investigation.kept is False
        r = app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.approve, t0 + days(16),
                                       "agent:ann", note="7-day guarantee applies"))  # fmt: skip
        assert r.details["state"] == "paying"
        now = got.drain(t0 + days(16))
        assert now.types == ["case.judged", "case.payout_requested"]
        assert now.hooks[0]["data"]["actor"] == "agent:ann"
        assert now.subjects == [f"Decision on your refund request {case_id}"]
        assert _paid_refunds(got) == [("1200.00", "pending")]
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == 0
        now = got.drain(t0 + days(17))
        assert now.types == ["case.paid"] and now.subjects == [f"Your refund {case_id} was paid"]
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("1200.00")
        for cmd, state in (
            (c.AppealCase, "appealed"), (c.EscalateCase, "escalated"),
            (c.EscalateCase, "mediation"), (c.UpholdDecision, "paid"),
        ):  # fmt: skip
            r = app.bus.handle(cmd(tenant, f"k{state}", case_id, t0 + days(20), "customer:M1",
                                   reason="asking again"))  # fmt: skip
            assert r.details["state"] == state
            now = got.drain(t0 + days(20))
            kind = "upheld" if state == "paid" else state
            assert (now.types, now.emails) == ([f"case.{kind}"], [])
            assert now.hooks[0]["data"]["to_state"] == state
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("1200.00")
        assert _paid_refunds(got) == [("1200.00", "succeeded")]  # the appeal paid nothing again


def test_kero_wallet_refund_posts_the_fee_and_pays_the_net(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "kero")
    t0 = datetime(2026, 4, 10, 6, 15, tzinfo=UTC)
    _clock(app, tenant, t0)
    _, p = charge_and_pay(app, tenant, "K1", usd("250.00"), t0, Method.card, wallet=True)
    facts = {"charge": {"kind": "wallet_topup", "auto": True}}
    with received(app, tenant, tmp_path, t0) as got:
        _slow_settlement(got)
        case_id, r = open_case(app, tenant, "K1", Subject.payment, p,
                               Reason.unintended_auto_topup, t0 + days(0.5),
                               facts=facts)  # fmt: skip
        assert r.details["state"] == "paying"
        assert tenant_balance(app, tenant, Kind.fee_income, "USD") == Decimal("100.00")
        assert wallet_balance(app, tenant, "K1", "USD") == Decimal("150.00")
        [payout] = outbox_for(app, tenant, case_id, "payout")
        assert payout["amount"] == "150.00"
        now = got.drain(t0 + days(0.5))
        assert now.types == ["case.opened", "case.decided", "case.payout_requested"]
        assert now.hooks[2]["data"]["data"]["amount"] == "USD 150.00"
        assert now.subjects == [f"Decision on your refund request {case_id}",
                                f"We received your refund request {case_id}"]  # fmt: skip
        assert {m["To"] for m in now.emails} == {"K1@customers.invalid"}  # no address given
        assert _paid_refunds(got) == [("150.00", "pending")]
        # the payout is due in 10 days: past them, the breach is recorded
        advance_test_clock(app.bus, app.work, tenant, "tc", t0 + days(12))
        assert "sla_breached" in kinds(app, tenant, case_id)
        assert wallet_balance(app, tenant, "K1", "USD") == Decimal("150.00")
        now = got.drain(t0 + days(12))  # the breach is heard, and the payout settles
        assert "case.sla_breached" in now.types and now.types[-1] == "case.paid"
        assert now.subjects == [f"Your refund {case_id} was paid"]
        assert _paid_refunds(got) == [("150.00", "succeeded")]
        assert wallet_balance(app, tenant, "K1", "USD") == 0
        assert tenant_balance(app, tenant, Kind.fee_income, "USD") == Decimal("100.00")
        assert case_of(app, tenant, case_id).state.value == "paid"


def test_kelbix_refund_waits_for_acceptance_and_keeps_the_fee(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "kelbix")
    t0 = datetime(2026, 2, 10, 9, tzinfo=UTC)
    _clock(app, tenant, t0)
    ch, p = charge_and_pay(app, tenant, "B1", zar("24000.00"), t0, Method.eft)
    facts = {"charge": {"kind": "project", "initial_purchase": True}}
    with received(app, tenant, tmp_path, t0) as got:
        _slow_settlement(got)
        case_id, r = open_case(app, tenant, "B1", Subject.charge, ch,
                               Reason.project_cancellation, t0 + days(5), facts=facts,
                               payment_id=p)  # fmt: skip
        assert r.details["state"] == "awaiting_acceptance"
        assert tenant_balance(app, tenant, Kind.fee_income, "ZAR") == 0
        assert outbox_for(app, tenant, case_id, "payout") == []
        now = got.drain(t0 + days(5))
        assert now.types == ["case.opened", "case.decided", "case.acceptance_requested"]
        assert now.subjects == [f"We received your refund request {case_id}",
                                f"Your refund {case_id} awaits your acceptance"]  # fmt: skip
        assert "nothing is paid before you accept" in now.text("awaits your acceptance")
        assert got.gateway.refunds() == []
        r = app.bus.handle(c.AcceptSettlement(tenant, "acc", case_id, t0 + days(6),
                                              "customer:B1"))  # fmt: skip
        assert r.details["state"] == "paying"
        assert tenant_balance(app, tenant, Kind.fee_income, "ZAR") == Decimal("12000.00")
        now = got.drain(t0 + days(6))
        assert now.types == ["case.accepted", "case.payout_requested"]
        assert now.subjects == [f"Decision on your refund request {case_id}"]
        assert _paid_refunds(got) == [("12000.00", "pending")]
        # the retained half is booked (refund expense against fee income); the rest waits
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("12000.00")
        now = got.drain(t0 + days(8))
        assert now.types == ["case.paid"] and now.subjects == [f"Your refund {case_id} was paid"]
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("24000.00")
        assert _paid_refunds(got) == [("12000.00", "succeeded")]
    assert case_of(app, tenant, case_id).settled_at == t0 + days(6)
    assert "accepted" in kinds(app, tenant, case_id)
