"""Done-when for refund cases: per source policy, one case walked through every state its
policy allows, against a test clock, with the ledger checked at each step, on SQLite and
PostgreSQL (the ``app`` fixture runs each test on both)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

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
    pay_out,
    policy_tenant,
    tenant_balance,
    usd,
    wallet_balance,
    zar,
)
from refundable.bootstrap import App
from refundable.core.errors import Conflict
from refundable.core.time import UTC
from refundable.policy.casesdoc import StageName as Stage
from refundable.policy.document import Outcome
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


def _clock(app: App, tenant: str, at: datetime) -> None:
    app.bus.handle(c.CreateTestClock(tenant, "tc", "tc", at))


def test_conek_case_waits_for_information_is_paid_and_is_final(app: App) -> None:
    tenant = policy_tenant(app, "conek")
    t0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday
    _clock(app, tenant, t0)
    ch, p = charge_and_pay(app, tenant, "C1", zar("499.00"), t0)
    facts = {"charge": {"kind": "subscription", "billing": "monthly"}}
    case_id, r = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge,
                           t0 + days(1), information={"explanation": "charged twice"},
                           facts=facts, payment_id=p)  # fmt: skip
    assert r.details["state"] == "awaiting_information"
    assert r.details["missing"] == "account"
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == 0
    # nothing runs while the clock is paused: a week passes with no warning
    advance_test_clock(app.bus, app.work, tenant, "tc", t0 + days(8))
    assert "sla_warning" not in kinds(app, tenant, case_id)
    answer = {"account": "c1@acme.test Acme"}
    r = app.bus.handle(
        c.ProvideInformation(tenant, "pi", case_id, t0 + days(8), "customer:C1", information=answer)
    )
    assert r.details["state"] == "paying"
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert (payout["payment_id"], payout["amount"], payout["currency"]) == (p, "499.00", "ZAR")
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == 0  # paid by the worker, later
    pay_out(app, tenant, case_id, t0 + days(10))
    assert case_of(app, tenant, case_id).state.value == "paid"
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("499.00")
    with pytest.raises(Conflict, match=r"final \(clause 8.2\)"):
        app.bus.handle(c.AppealCase(tenant, "ap", case_id, t0 + days(11), "customer:C1"))
    assert kinds(app, tenant, case_id) == [
        "opened", "information_requested", "information_provided", "decided",
        "payout_requested", "paid",
    ]  # fmt: skip
    subjects = [m["subject"] for m in outbox_for(app, tenant, case_id, "email")]
    assert len(subjects) == 4 and "paid" in subjects[-1]  # receipt, missing, decision, payout
    webhooks = outbox_for(app, tenant, case_id, "webhook")
    assert len(webhooks) == 6 and webhooks[-1]["event_type"] == "case.paid"


def test_myprotektor_case_through_review_payout_and_every_appeal_stage(app: App) -> None:
    tenant = policy_tenant(app, "myprotektor")
    t0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday 10:00 local
    _clock(app, tenant, t0)
    ch, p = charge_and_pay(app, tenant, "M1", zar("1200.00"), t0)
    info = {"account": "m1@corp.test Corp", "explanation": "not for us", "evidence": "shot.png"}
    facts = {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True,
                        "period": {"start": "2026-03-02T10:00:00+02:00",
                                   "end": "2026-04-02T10:00:00+02:00"}}}  # fmt: skip
    case_id, r = open_case(app, tenant, "M1", Subject.charge, ch, Reason.change_of_mind,
                           t0 + days(3), information=info, facts=facts, payment_id=p)  # fmt: skip
    assert r.details["state"] == "in_review"  # 7.3: every outcome waits for an agent
    # the engine's assessment at intake kept the initial review; the investigation (7 business
    # days from Thu 5 Mar: Mon 16 Mar 17:00) warns, then breaches, before the agent decides
    advance_test_clock(app.bus, app.work, tenant, "tc", t0 + days(16))
    ev = kinds(app, tenant, case_id)
    assert ev.count("sla_warning") >= 1 and ev.count("sla_breached") == 1
    case = case_of(app, tenant, case_id)
    initial, investigation = case.clock(Stage.initial_review), case.clock(Stage.investigation)
    assert initial is not None and initial.kept is True
    assert investigation is not None and investigation.kept is False
    r = app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.approve, t0 + days(16),
                                   "agent:ann", note="7-day guarantee applies"))  # fmt: skip
    assert r.details["state"] == "paying"
    pay_out(app, tenant, case_id, t0 + days(17))
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("1200.00")
    for cmd, state in (
        (c.AppealCase, "appealed"), (c.EscalateCase, "escalated"), (c.EscalateCase, "mediation"),
        (c.UpholdDecision, "paid"),
    ):  # fmt: skip
        r = app.bus.handle(cmd(tenant, f"k{state}", case_id, t0 + days(20), "customer:M1",
                               reason="asking again"))  # fmt: skip
        assert r.details["state"] == state
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("1200.00")


def test_kero_wallet_refund_posts_the_fee_and_pays_the_net(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    t0 = datetime(2026, 4, 10, 6, 15, tzinfo=UTC)
    _clock(app, tenant, t0)
    _, p = charge_and_pay(app, tenant, "K1", usd("250.00"), t0, Method.card, wallet=True)
    facts = {"charge": {"kind": "wallet_topup", "auto": True}}
    case_id, r = open_case(app, tenant, "K1", Subject.payment, p, Reason.unintended_auto_topup,
                           t0 + days(0.5), facts=facts)  # fmt: skip
    assert r.details["state"] == "paying"
    assert tenant_balance(app, tenant, Kind.fee_income, "USD") == Decimal("100.00")
    assert wallet_balance(app, tenant, "K1", "USD") == Decimal("150.00")
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert payout["amount"] == "150.00"
    # the payout is due in 10 days: past them, the breach is recorded
    advance_test_clock(app.bus, app.work, tenant, "tc", t0 + days(12))
    assert "sla_breached" in kinds(app, tenant, case_id)
    pay_out(app, tenant, case_id, t0 + days(12))
    assert wallet_balance(app, tenant, "K1", "USD") == 0
    assert case_of(app, tenant, case_id).state.value == "paid"


def test_kelbix_refund_waits_for_acceptance_and_keeps_the_fee(app: App) -> None:
    tenant = policy_tenant(app, "kelbix")
    t0 = datetime(2026, 2, 10, 9, tzinfo=UTC)
    _clock(app, tenant, t0)
    ch, p = charge_and_pay(app, tenant, "B1", zar("24000.00"), t0, Method.eft)
    facts = {"charge": {"kind": "project", "initial_purchase": True}}
    case_id, r = open_case(app, tenant, "B1", Subject.charge, ch, Reason.project_cancellation,
                           t0 + days(5), facts=facts, payment_id=p)  # fmt: skip
    assert r.details["state"] == "awaiting_acceptance"
    assert tenant_balance(app, tenant, Kind.fee_income, "ZAR") == 0
    assert outbox_for(app, tenant, case_id, "payout") == []
    r = app.bus.handle(c.AcceptSettlement(tenant, "acc", case_id, t0 + days(6), "customer:B1"))
    assert r.details["state"] == "paying"
    assert tenant_balance(app, tenant, Kind.fee_income, "ZAR") == Decimal("12000.00")
    pay_out(app, tenant, case_id, t0 + days(8))
    assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("24000.00")
    assert case_of(app, tenant, case_id).settled_at == t0 + days(6)
    assert "accepted" in kinds(app, tenant, case_id)
