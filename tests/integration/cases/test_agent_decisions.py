"""What an agent decides is what the case records, on SQLite and PostgreSQL.

A judgement or an override stores a decision whose outcome, remedy, amounts, deadlines and
explanation are the agent's (a deny pays nothing), citing the clauses of the review; the
engine's assessment stays stored as the original. An override's amount is refused before
anything is written unless it is positive, in the currency's minor units and within what
the payment can still refund. The payout clock of a case runs to the payment deadline of the
decision it pays (MyProtektor: 4.1's 10 business days from the approval, not 7.3's 14)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from casefakes import (
    Reason,
    Subject,
    case_of,
    charge_and_pay,
    events_of,
    open_case,
    outbox_for,
    policy_tenant,
    usd,
    zar,
)
from refundable.bootstrap import App
from refundable.core.errors import Conflict, InputError
from refundable.core.time import UTC
from refundable.ledger.decisions import DecisionRecord
from refundable.policy.casesdoc import StageName
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c
from refundable.service.ports import RefundStatus

# Monday 23 November 2026, 09:00 in Johannesburg; 1 December is six business days later
T0 = datetime(2026, 11, 23, 7, tzinfo=UTC)
JUDGED = datetime(2026, 12, 1, 7, tzinfo=UTC)
INFO = {"account": "ops@m1.test M1", "explanation": "not for us", "evidence": "log"}
FIRST = {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True}}


def _review(app: App, amount: str = "600.00") -> tuple[str, str, str]:
    """A MyProtektor case in review, the engine proposing 4.1's full refund: (tenant, case,
    payment)."""
    tenant = policy_tenant(app, "myprotektor")
    ch, p = charge_and_pay(app, tenant, "M1", zar(amount), T0.replace(day=22))
    case_id, r = open_case(app, tenant, "M1", Subject.charge, ch, Reason.change_of_mind, T0,
                           information=INFO, facts=FIRST, payment_id=p)  # fmt: skip
    assert r.details["state"] == "in_review"
    return tenant, case_id, p


def _record(app: App, tenant: str, decision_id: str | None) -> DecisionRecord:
    with app.bus.uow_factory() as uow:
        found = uow.repositories(tenant).decisions.get(decision_id or "")
    assert found is not None
    return found


def _body(record: DecisionRecord) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(record.body)
    return body


def test_a_judged_deny_is_recorded_and_told_as_a_deny_citing_the_reviewed_clause(
    app: App,
) -> None:
    tenant, case_id, _ = _review(app)
    proposal = case_of(app, tenant, case_id).decision_id
    assert _body(_record(app, tenant, proposal))["outcome"] == "approve"
    app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.deny, JUDGED, "agent:ann",
                               note="outside the guarantee's spirit"))  # fmt: skip
    case = case_of(app, tenant, case_id)
    assert case.state.value == "denied"
    record = _record(app, tenant, case.decision_id)
    body = _body(record)
    assert (record.outcome, record.remedy, record.net_minor) == (Outcome.deny, Remedy.none, 0)
    assert (body["outcome"], body["remedy"], body["net"], body["gross"]) == (
        "deny", "none", "0.00", "0.00")  # fmt: skip
    assert body["fees"] == [] and body["deadlines"]["pay_by"] is None
    assert body["explanation"].startswith("Denied") and "clause 4.1" in body["explanation"]
    assert "refund of" not in body["explanation"] and "Approved" not in body["explanation"]
    # the engine's assessment is kept for audit
    assert case.original_decision_id == proposal
    assert body["original"]["decision_id"] == proposal
    assert body["original"]["outcome"] == "approve" and body["original"]["net"] == "600.00"
    [judged] = [e for e in events_of(app, tenant, case_id) if e.kind.value == "judged"]
    assert (judged.data["outcome"], judged.data["remedy"], judged.data["net"]) == (
        "deny", "none", "ZAR 0.00")  # fmt: skip
    [mail] = [m for m in outbox_for(app, tenant, case_id, "email") if "Decision" in m["subject"]]
    assert mail["text"].startswith("Denied") and "600" not in mail["text"]


def test_a_judged_approval_is_recorded_with_its_payment_due_from_the_judgement(
    app: App,
) -> None:
    tenant, case_id, _ = _review(app)
    app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.approve, JUDGED, "agent:ann"))
    case = case_of(app, tenant, case_id)
    assert case.state.value == "paying"
    body = _body(_record(app, tenant, case.decision_id))
    assert (body["outcome"], body["remedy"], body["net"]) == ("approve", "refund", "600.00")
    assert body["explanation"].startswith("Approved") and "ZAR 600.00" in body["explanation"]
    pay_by = datetime.fromisoformat(body["deadlines"]["pay_by"])
    # 4.1: 10 business days from the approval (16 December is a public holiday)
    assert pay_by.astimezone(case.clocks[0].due_at.tzinfo).date() == date(2026, 12, 15)
    assert body["deadlines"]["basis"]["pay_by"]["clause"] == "4.1"
    assert "clause 4.1" in body["explanation"]
    payout = case.clock(StageName.payout)
    assert payout is not None
    # one payout deadline: the decision's (not 7.3's 14 business days, 22 December)
    assert (payout.due_at, payout.clause) == (pay_by, "4.1")
    assert payout.warn_at < payout.due_at


def test_an_override_to_deny_pays_nothing_and_says_so(app: App) -> None:
    tenant, case_id, _ = _review(app)
    app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.deny, "duplicate account",
                                      JUDGED, "agent:bo"))  # fmt: skip
    case = case_of(app, tenant, case_id)
    record = _record(app, tenant, case.decision_id)
    body = _body(record)
    assert case.state.value == "denied" and record.net_minor == 0
    assert (body["outcome"], body["remedy"], body["net"]) == ("deny", "none", "0.00")
    assert body["explanation"].startswith("Denied") and "clause 4.1" in body["explanation"]
    assert body["override"]["by"] == "agent:bo" and body["original"]["outcome"] == "approve"


def test_an_approval_without_an_amount_over_a_denial_pays_the_engines_assessment(
    app: App,
) -> None:
    tenant, case_id, _ = _review(app)
    app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.deny, JUDGED, "agent:ann",
                               note="no"))  # fmt: skip
    app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.approve, "goodwill",
                                      JUDGED, "agent:bo"))  # fmt: skip
    case = case_of(app, tenant, case_id)
    body = _body(_record(app, tenant, case.decision_id))
    assert (body["outcome"], body["remedy"], body["net"]) == ("approve", "refund", "600.00")
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert payout["amount"] == "600.00"  # the proposal's refund, not the denial's nothing


def test_an_override_with_an_amount_states_it_in_the_decision(app: App) -> None:
    tenant, case_id, _ = _review(app)
    app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.approve, "half, agreed",
                                      JUDGED, "agent:bo", amount=zar("300.00")))  # fmt: skip
    case = case_of(app, tenant, case_id)
    body = _body(_record(app, tenant, case.decision_id))
    assert (body["outcome"], body["net"], body["gross"]) == ("approve", "300.00", "300.00")
    assert "ZAR 300.00" in body["explanation"] and "600" not in body["explanation"]
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert payout["amount"] == "300.00"


@pytest.mark.parametrize(
    ("amount", "error", "says"),
    [
        ("99999999", Conflict, "at most ZAR 500.00"),
        ("500.01", Conflict, "at most ZAR 500.00"),
        ("-5", InputError, "more than zero"),
        ("0", InputError, "more than zero"),
        ("1.234", InputError, "2 decimal places"),
    ],
)
def test_an_impossible_override_amount_is_refused_and_nothing_is_written(
    app: App, amount: str, error: type[Exception], says: str
) -> None:
    tenant, case_id, _ = _review(app, "500.00")
    before = case_of(app, tenant, case_id)
    with pytest.raises(error, match=says):
        app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.approve, "goodwill",
                                          JUDGED, "agent:bo", amount=zar(amount)))  # fmt: skip
    after = case_of(app, tenant, case_id)
    assert (after.state, after.seq, after.decision_id) == (before.state, before.seq,
                                                           before.decision_id)  # fmt: skip
    assert outbox_for(app, tenant, case_id, "payout") == []


def test_an_override_amount_within_the_refundable_is_accepted_to_the_cent(app: App) -> None:
    tenant, case_id, _ = _review(app, "500.00")
    r = app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.approve, "all of it",
                                          JUDGED, "agent:bo", amount=zar("500.00")))  # fmt: skip
    assert r.details["state"] == "paying"
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert payout["amount"] == "500.00"


@pytest.mark.parametrize(
    ("reason", "payout_state", "told"),
    [("card_declined", "failed", "arrange the payment"),
     ("account_closed", "awaiting_alternative", "another way to be paid")],
)  # fmt: skip
def test_a_payout_the_gateway_refuses_is_recorded_on_the_case_and_told(
    app: App, reason: str, payout_state: str, told: str
) -> None:
    tenant, case_id, p = _review(app)
    app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.approve, JUDGED, "agent:ann"))
    [msg] = outbox_for(app, tenant, case_id, "payout")
    dec = msg["decision_id"]
    app.bus.handle(c.RequestPayout(tenant, "rq", "po1", "m1", case_id, "M1", p, dec,
                                   zar("600.00"), "sandbox", JUDGED))  # fmt: skip
    refused = c.RecordGatewayRefund(tenant, "gw", "po1", "re_1", RefundStatus.failed,
                                    JUDGED, reason)  # fmt: skip
    app.bus.handle(refused)
    app.bus.handle(replace(refused, idempotency_key="gw2"))  # heard again: recorded once
    case = case_of(app, tenant, case_id)
    assert case.state.value == "paying"  # still owed: an agent arranges it
    [failed] = [e for e in events_of(app, tenant, case_id) if e.kind.value == "payout_failed"]
    assert (failed.data["reason"], failed.data["payout_state"]) == (reason, payout_state)
    assert failed.data["amount"] == "ZAR 600.00"
    [mail] = [m for m in outbox_for(app, tenant, case_id, "email") if "could not" in m["subject"]]
    assert told in mail["text"] and reason in mail["text"]


def test_a_payout_beyond_what_the_payment_can_refund_fails_on_the_case_not_in_a_dead_letter(
    app: App,
) -> None:
    tenant, first, p = _review(app)
    charge = case_of(app, tenant, first).subject_id
    second, _ = open_case(app, tenant, "M1", Subject.charge, charge, Reason.duplicate_charge,
                          T0, information=INFO, facts=FIRST, payment_id=p)  # fmt: skip
    for n, case_id in enumerate((first, second)):
        app.bus.handle(c.JudgeCase(tenant, f"j{n}", case_id, Outcome.approve, JUDGED, "agent:a"))
    for n, case_id in enumerate((first, second)):
        [msg] = outbox_for(app, tenant, case_id, "payout")
        dec = msg["decision_id"]
        app.bus.handle(c.RequestPayout(tenant, f"rq{n}", f"po{n}", f"m{n}", case_id, "M1", p,
                                       dec, zar("600.00"), "sandbox", JUDGED))  # fmt: skip
        if n == 0:  # the first is paid: nothing is left to refund on the payment
            app.bus.handle(c.RecordGatewayRefund(tenant, "gw0", "po0", "re_0",
                                                 RefundStatus.succeeded, JUDGED))  # fmt: skip
    assert case_of(app, tenant, first).state.value == "paid"
    [failed] = [e for e in events_of(app, tenant, second) if e.kind.value == "payout_failed"]
    assert failed.data["reason"].startswith("over_refund") and "ZAR 0.00" in failed.data["reason"]


def _denied_after_review(app: App, charged_days_before: int = 1) -> tuple[str, str, str]:
    """A MyProtektor case on a ZAR 500 payment that an agent denied after review."""
    tenant = policy_tenant(app, "myprotektor")
    ch, p = charge_and_pay(app, tenant, "M1", zar("500.00"),
                           T0 - timedelta(days=charged_days_before))  # fmt: skip
    case_id, _ = open_case(app, tenant, "M1", Subject.charge, ch, Reason.change_of_mind, T0,
                           information=INFO, facts=FIRST, payment_id=p)  # fmt: skip
    app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.deny, JUDGED, "agent:ann",
                               note="no"))  # fmt: skip
    assert case_of(app, tenant, case_id).state.value == "denied"
    return tenant, case_id, p


@pytest.mark.parametrize("charged_days_before", [1, 40], ids=["proposal-refund", "proposal-deny"])
def test_an_approval_with_an_amount_over_a_denial_refunds_it_within_the_payment(
    app: App, charged_days_before: int
) -> None:
    tenant, case_id, _ = _denied_after_review(app, charged_days_before)
    before = case_of(app, tenant, case_id)
    with pytest.raises(Conflict, match=r"at most ZAR 500\.00"):
        app.bus.handle(c.OverrideDecision(tenant, "o1", case_id, Outcome.approve, "big",
                                          JUDGED, "agent:bo", amount=zar("99999999")))  # fmt: skip
    assert case_of(app, tenant, case_id).seq == before.seq
    r = app.bus.handle(c.OverrideDecision(tenant, "o2", case_id, Outcome.approve, "goodwill",
                                          JUDGED, "agent:bo", amount=zar("200.00")))  # fmt: skip
    assert r.details["state"] == "paying"
    body = _body(_record(app, tenant, case_of(app, tenant, case_id).decision_id))
    assert (body["outcome"], body["remedy"], body["net"]) == ("approve", "refund", "200.00")
    assert "no remedy" not in body["explanation"] and "ZAR 200.00" in body["explanation"]
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert payout["amount"] == "200.00"


def test_an_approval_that_would_move_nothing_is_refused(app: App) -> None:
    tenant, case_id, _ = _denied_after_review(app)
    with pytest.raises(Conflict, match="moves nothing"):
        app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.approve, "goodwill",
                                          JUDGED, "agent:bo", remedy=Remedy.none))  # fmt: skip
    assert case_of(app, tenant, case_id).state.value == "denied"


def _unquantified_review(app: App) -> tuple[str, str]:
    """A Conek billing error about the account in general, the charge's date answered in
    words: in review with a proposal the engine could not put an amount on (ADR 0082)."""
    tenant = policy_tenant(app, "conek")
    info = {"account": "c1@example.test C1", "explanation": "billed twice", "transaction": "July"}
    case_id, r = open_case(app, tenant, "C1", Subject.account, "C1", Reason.billing_error, T0,
                           information=info)  # fmt: skip
    assert r.details["missing"] == "charge.charged_at"
    words = {"charge.charged_at": "31 July, the R499 one"}
    app.bus.handle(c.ProvideInformation(tenant, "i", case_id, T0, "customer:C1", words))
    assert case_of(app, tenant, case_id).state.value == "in_review"
    return tenant, case_id


def test_judging_approve_on_a_proposal_that_pays_nothing_asks_the_agent_for_the_amount(
    app: App,
) -> None:
    tenant, case_id = _unquantified_review(app)
    before = case_of(app, tenant, case_id)
    with pytest.raises(Conflict, match="moves nothing") as refused:
        app.bus.handle(c.JudgeCase(tenant, "j", case_id, Outcome.approve, JUDGED, "agent:ann"))
    assert "override with an amount" in str(refused.value.allowed)
    after = case_of(app, tenant, case_id)
    assert (after.state, after.seq, after.decision_id) == (before.state, before.seq,
                                                           before.decision_id)  # fmt: skip
    r = app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.approve, "billed twice",
                                          JUDGED, "agent:bo", Remedy.account_credit,
                                          zar("499.00")))  # fmt: skip
    assert r.details["state"] == "credited"
    body = _body(_record(app, tenant, case_of(app, tenant, case_id).decision_id))
    assert (body["outcome"], body["remedy"], body["net"]) == ("approve", "account_credit",
                                                              "499.00")  # fmt: skip


def test_a_new_appeal_resumes_at_the_next_stage_and_none_follows_the_last(app: App) -> None:
    """MyProtektor 9.1: internal review, then escalation for what it left unresolved, then
    mediation once the internal processes are exhausted; after that, no further appeal."""
    tenant, case_id, _ = _denied_after_review(app)
    states = []
    for n in (1, 2, 3):
        r = app.bus.handle(c.AppealCase(tenant, f"a{n}", case_id, JUDGED, "customer:M1", "please"))
        states.append(r.details["state"])
        app.bus.handle(c.UpholdDecision(tenant, f"u{n}", case_id, JUDGED, "agent:ann", "stands"))
        assert case_of(app, tenant, case_id).state.value == "denied"
    assert states == ["appealed", "escalated", "mediation"]  # never back to the first stage
    resumed = [(e.kind.value, e.actor) for e in events_of(app, tenant, case_id)
               if e.kind.value in ("escalated", "mediation")]  # fmt: skip
    assert resumed == [("escalated", "system"), ("escalated", "system"), ("mediation", "system")]
    before = case_of(app, tenant, case_id)
    with pytest.raises(Conflict, match=r"clause 9\.1") as refused:
        app.bus.handle(c.AppealCase(tenant, "a4", case_id, JUDGED, "customer:M1", "again"))
    assert "every stage" in str(refused.value)
    assert case_of(app, tenant, case_id).seq == before.seq


@pytest.mark.parametrize("ends", ["mediation-upheld", "overridden"])
def test_an_appeal_that_ran_its_course_is_not_started_again(app: App, ends: str) -> None:
    tenant, case_id, _ = _denied_after_review(app)
    app.bus.handle(c.AppealCase(tenant, "a1", case_id, JUDGED, "customer:M1", "please"))
    if ends == "overridden":  # the appeal was answered with a new decision
        app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.deny, "still no",
                                          JUDGED, "agent:bo"))  # fmt: skip
    else:  # escalated by the customer to the last stage, and upheld there
        for n in (1, 2):
            app.bus.handle(c.EscalateCase(tenant, f"e{n}", case_id, JUDGED, "customer:M1", "up"))
        app.bus.handle(c.UpholdDecision(tenant, "u1", case_id, JUDGED, "agent:ann", "stands"))
    before = case_of(app, tenant, case_id)
    assert before.state.value == "denied"
    with pytest.raises(Conflict, match=r"clause 9\.1"):
        app.bus.handle(c.AppealCase(tenant, "a2", case_id, JUDGED, "customer:M1", "again"))
    assert case_of(app, tenant, case_id).seq == before.seq


def test_an_appeal_where_the_policy_names_none_is_refused_in_words(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    case_id, _ = open_case(app, tenant, "K1", Subject.charge, ch, Reason.change_of_mind, T0,
                           facts={"charge": {"kind": "subscription", "billing": "annual"}},
                           payment_id=p)  # fmt: skip
    app.bus.handle(c.OverrideDecision(tenant, "o", case_id, Outcome.deny, "no use shown",
                                      JUDGED, "agent:bo"))  # fmt: skip
    with pytest.raises(Conflict, match="no appeal") as refused:
        app.bus.handle(c.AppealCase(tenant, "a", case_id, JUDGED, "customer:K1", "please"))
    assert "None" not in str(refused.value)
