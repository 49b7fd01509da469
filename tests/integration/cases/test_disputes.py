"""Chargebacks and disputes on SQLite and PostgreSQL: each policy's sanction, the case that
records it, a won dispute undoing it all, and the evidence packet in Stripe's field names."""

from __future__ import annotations

from datetime import datetime

from casefakes import (
    Method,
    Reason,
    Subject,
    charge_and_pay,
    days,
    kinds,
    open_case,
    policy_tenant,
    usd,
    zar,
)
from refundable.bootstrap import App
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.ledger.holds import HoldResolution
from refundable.service import commands as c
from refundable.service.case_evidence import evidence_for

T0 = datetime(2026, 5, 4, 8, tzinfo=UTC)


def _chargeback(app: App, tenant: str, dispute: str, payment: str, amount: str, cur: str,
                at: datetime) -> dict[str, str]:  # fmt: skip
    from refundable.core.money import Money

    r = app.bus.handle(c.RecordChargeback(tenant, f"k{dispute}", dispute, payment,
                                          Money.of(amount, cur), at))  # fmt: skip
    return {k.value: v for k, v in r.details.items()}


def test_conek_suspends_only_without_a_prior_case_and_a_won_dispute_undoes_it(app: App) -> None:
    tenant = policy_tenant(app, "conek")
    _, p1 = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    done = _chargeback(app, tenant, "d1", p1, "100.00", "ZAR", T0 + days(1))
    assert done["hold"] == "true" and done["hold_id"] == "hold-d1"
    [hold] = app.queries.active_holds(tenant, "C1")
    assert hold.reason.startswith("suspended") and "9.2" in hold.reason
    # a customer who opened a case first is not suspended (9.2 "without contacting us")
    ch2, p2 = charge_and_pay(app, tenant, "C2", zar("100.00"), T0)
    case_id, _ = open_case(app, tenant, "C2", Subject.charge, ch2, Reason.billing_error, T0,
                           payment_id=p2)  # fmt: skip
    done = _chargeback(app, tenant, "d2", p2, "100.00", "ZAR", T0 + days(1))
    assert done["hold"] == "false" and app.queries.active_holds(tenant, "C2") == []
    assert "chargeback" in kinds(app, tenant, case_id)
    receivable = chart.receivable("C1", "ZAR")
    owed = app.queries.balance(tenant, receivable)
    app.bus.handle(c.ResolveDispute(tenant, "r1", "d1", HoldResolution.won, T0 + days(20),
                                    "agent:ann"))  # fmt: skip
    assert app.queries.active_holds(tenant, "C1") == []
    assert app.queries.balance(tenant, receivable) == owed - 100  # the chargeback reversed


def test_kero_holds_until_resolved_and_a_repeated_chargeback_suspends(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    _, p1 = charge_and_pay(app, tenant, "K1", usd("50.00"), T0, Method.card)
    _, p2 = charge_and_pay(app, tenant, "K1", usd("60.00"), T0, Method.card)
    assert _chargeback(app, tenant, "e1", p1, "50.00", "USD", T0 + days(1))["hold_id"] == "hold-e1"
    second = _chargeback(app, tenant, "e2", p2, "60.00", "USD", T0 + days(2))
    assert second["hold_id"] == "hold-e2,suspend-e2"
    app.bus.handle(c.ResolveDispute(tenant, "r1", "e1", HoldResolution.lost, T0 + days(9),
                                    "agent:ann"))  # fmt: skip
    active = sorted(h.hold_id for h in app.queries.active_holds(tenant, "K1"))
    assert active == ["hold-e2", "suspend-e2"]  # e1's hold lifted once resolved (lost)


def test_myprotektor_pattern_opens_an_account_review_and_evidence_is_built(app: App) -> None:
    tenant = policy_tenant(app, "myprotektor")
    ch1, p1 = charge_and_pay(app, tenant, "M1", zar("1200.00"), T0)
    info = {"account": "m1@corp.test", "explanation": "unused", "evidence": "log",
            "email": "m1@corp.test"}  # fmt: skip
    facts = {"charge": {"kind": "subscription", "billing": "monthly"}}
    case_id, _ = open_case(app, tenant, "M1", Subject.charge, ch1, Reason.cancellation, T0,
                           information=info, facts=facts, payment_id=p1)  # fmt: skip
    _, p2 = charge_and_pay(app, tenant, "M1", zar("300.00"), T0)
    assert _chargeback(app, tenant, "f1", p1, "1200.00", "ZAR", T0 + days(1))["hold"] == "false"
    _chargeback(app, tenant, "f2", p2, "300.00", "ZAR", T0 + days(2))
    assert app.cases_read is not None
    [review] = [x for x in app.cases_read.cases(tenant, customer_id="M1")
                if x.reason == "chargeback_pattern"]  # fmt: skip
    assert review.state.value == "in_review" and review.subject.value == "account"
    packet = evidence_for(app, tenant, case_id)
    assert packet["customer_email_address"] == "m1@corp.test"
    assert "myprotektor policy, version 2.0.0" in packet["refund_policy"]
    assert "We received your refund request" in packet["customer_communication"]
    assert {"refund_policy_disclosure", "service_date", "uncategorized_text",
            "cancellation_policy"} <= packet.keys()  # fmt: skip
    app.bus.handle(c.ResolveDispute(tenant, "r", "f2", HoldResolution.won, T0 + days(30),
                                    "agent:ann"))  # fmt: skip
    assert app.cases_read.case(tenant, review.case_id).state.value == "withdrawn"  # type: ignore[union-attr]


def test_a_won_dispute_lowers_the_counter_and_no_longer_counts_as_a_repeat(app: App) -> None:
    """Kero suspends on a repeated chargeback. A chargeback whose dispute the business won
    gave the money back: the payment's charged-back counter drops (it can be refunded again)
    and a later chargeback is the first that counts, so it holds but does not suspend.
    (The payment's counter, checked by the database against the return rows, is what
    ``remaining_refundable`` reads.)"""
    tenant = policy_tenant(app, "kero")
    _, p1 = charge_and_pay(app, tenant, "K1", usd("50.00"), T0, Method.card)
    _, p2 = charge_and_pay(app, tenant, "K1", usd("60.00"), T0, Method.card)
    _chargeback(app, tenant, "e1", p1, "50.00", "USD", T0 + days(1))
    assert str(app.queries.remaining_refundable(tenant, p1)) == "USD 0.00"
    app.bus.handle(c.ResolveDispute(tenant, "r1", "e1", HoldResolution.won, T0 + days(5),
                                    "agent:ann"))  # fmt: skip
    assert str(app.queries.remaining_refundable(tenant, p1)) == "USD 50.00"
    returns = [(r.kind, str(r.amount)) for r in app.queries.returns_of(tenant, p1)]
    assert returns == [("chargeback", "USD 50.00"), ("chargeback", "USD -50.00")]
    second = _chargeback(app, tenant, "e2", p2, "60.00", "USD", T0 + days(9))
    assert second["hold_id"] == "hold-e2"  # held until resolved; not suspended as a repeat
    active = sorted(h.hold_id for h in app.queries.active_holds(tenant, "K1"))
    assert active == ["hold-e2"]
