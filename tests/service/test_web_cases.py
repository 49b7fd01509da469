"""Refund cases in the console and the portal (in-memory store): the queue by deadline, an
agent judging a review with the clause's factors (read-only staff cannot), a customer asking
for a refund through the policy's own intake form and following it to paid, the reports."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from casefakes import (
    Reason,
    Subject,
    charge_and_pay,
    open_case,
    pay_out,
    policy_tenant,
    usd,
    zar,
)
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.time import UTC, FixedClock
from refundable.entrypoints.web import seed_demo_logins
from refundable.service import commands as c
from webpages import CaughtMail, client, csrf, portal_sign_in, sign_in

T0 = datetime(2026, 8, 1, 8, tzinfo=UTC)
SUB = {"charge": {"kind": "subscription", "billing": "annual"}}
_NONCE = re.compile(r'name="nonce" value="([0-9a-f]+)"')


@pytest.fixture
def app() -> App:
    return bootstrap(MEMORY_URL, FixedClock(T0))


def _nonce(page: str) -> str:
    found = _NONCE.search(page)
    assert found is not None
    return found.group(1)


def test_an_agent_judges_a_review_from_the_queue(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    case_id, _ = open_case(app, tenant, "K1", Subject.charge, ch, Reason.change_of_mind, T0,
                           facts=SUB, payment_id=p)  # fmt: skip
    seed_demo_logins(app, tenants=[tenant])
    viewer = client(app, tmp_path)
    assert sign_in(viewer, tenant, f"viewer@{tenant}.example") == 303
    page = viewer.get(f"/console/cases/{case_id}")
    assert page.status_code == 200 and 'data-testid="judge"' not in page.text
    refused = viewer.post(f"/console/cases/{case_id}/judge",
                          data={"csrf_token": csrf(viewer, "/console/"), "nonce": "n1",
                                "outcome": "approve"})  # fmt: skip
    assert refused.status_code == 403
    agent = client(app, tmp_path)
    assert sign_in(agent, tenant, f"agent@{tenant}.example") == 303
    assert case_id in agent.get("/console/cases").text
    page = agent.get(f"/console/cases/{case_id}")
    factor = re.search(r'name="(factor-1)" value="([^"]+)"', page.text)
    assert factor is not None and 'data-testid="trace"' in page.text
    weighed = factor.group(2).replace("&#39;", "'")
    token = csrf(agent, f"/console/cases/{case_id}")
    form = {"csrf_token": token, "nonce": _nonce(page.text), "outcome": "approve",
            factor.group(1): weighed}  # fmt: skip
    done = agent.post(f"/console/cases/{case_id}/judge", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert app.cases_read is not None
    case = app.cases_read.case(tenant, case_id)
    assert case is not None and case.state.value == "paying"
    [judged] = [e for e in app.cases_read.events(tenant, case_id) if e.kind.value == "judged"]
    assert judged.actor == f"agent:agent@{tenant}.example"
    assert "<svg" in agent.get("/console/reports").text


def test_a_customer_asks_for_a_refund_and_follows_it_to_paid(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    seed_demo_logins(app, tenants=[tenant])
    mail = CaughtMail()
    c = client(app, tmp_path, mail)
    assert portal_sign_in(c, mail, tenant, f"c1@customers.{tenant}.example") == 303
    form_page = c.get("/portal/cases/new")
    assert f'value="{ch}"' in form_page.text and f'value="{p}"' in form_page.text
    assert "clause 8.1" in form_page.text  # Conek's intake asks what 8.1 requires
    answers = {f"answer-{k}": "double charge on my card" for k in
               re.findall(r'name="answer-([a-z_0-9]+)"', form_page.text)}  # fmt: skip
    form = {"csrf_token": csrf(c, "/portal/cases/new"), "nonce": _nonce(form_page.text),
            "charge": ch, "charge_kind": "subscription", "payment": p,
            "reason": "duplicate_charge", **answers}  # fmt: skip
    sent = c.post("/portal/cases", data=form, follow_redirects=False)
    assert sent.status_code == 303
    case_id = sent.headers["location"].rsplit("/", 1)[1]
    page = c.get(f"/portal/cases/{case_id}")
    assert "paying" in page.text and 'data-testid="clocks"' in page.text
    pay_out(app, tenant, case_id, T0)
    assert "paid" in c.get(f"/portal/cases/{case_id}").text
    assert case_id in c.get("/portal/").text
    other = client(app, tmp_path / "x")  # staff of the tenant see it; another customer does not
    assert sign_in(other, tenant, f"agent@{tenant}.example") == 303
    assert other.get(f"/console/cases/{case_id}").status_code == 200


def _kero_review(app: App, customer: str) -> tuple[str, str]:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, customer, usd("1200.00"), T0)
    case_id, _ = open_case(app, tenant, customer, Subject.charge, ch, Reason.change_of_mind, T0,
                           facts=SUB, payment_id=p)  # fmt: skip
    seed_demo_logins(app, tenants=[tenant])
    return tenant, case_id


def _state(app: App, tenant: str, case_id: str) -> str:
    assert app.cases_read is not None
    case = app.cases_read.case(tenant, case_id)
    assert case is not None
    return case.state.value


def test_an_agent_overrides_a_decision_with_a_reason_after_confirming(
    app: App, tmp_path: Path
) -> None:
    tenant, case_id = _kero_review(app, "K1")
    path = f"/console/cases/{case_id}/override"
    viewer = client(app, tmp_path)
    assert sign_in(viewer, tenant, f"viewer@{tenant}.example") == 303
    assert 'data-testid="override"' not in viewer.get(f"/console/cases/{case_id}").text
    forged = {"csrf_token": csrf(viewer, "/console/"), "nonce": "n1", "outcome": "deny",
              "reason": "r", "confirm": "yes"}  # fmt: skip
    assert viewer.post(path, data=forged).status_code == 403
    agent = client(app, tmp_path)
    assert sign_in(agent, tenant, f"agent@{tenant}.example") == 303
    page = agent.get(f"/console/cases/{case_id}").text
    assert 'data-testid="override"' in page and 'data-testid="withdraw"' in page
    form = {"csrf_token": csrf(agent, f"/console/cases/{case_id}"), "nonce": _nonce(page),
            "outcome": "deny", "currency": "USD", "payment": "", "remedy": "",
            "amount": ""}  # fmt: skip
    no_reason = agent.post(path, data={**form, "reason": " "})
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text
    shown = agent.post(path, data={**form, "reason": "a goodwill exception was refused"})
    assert shown.status_code == 200 and 'data-testid="confirm"' in shown.text
    assert _state(app, tenant, case_id) == "in_review"  # nothing changed before confirming
    no_token = {**form, "reason": "x", "csrf_token": "forged", "confirm": "yes"}
    assert agent.post(path, data=no_token).status_code == 403
    confirmed = {**form, "reason": "a goodwill exception was refused", "confirm": "yes"}
    done = agent.post(path, data=confirmed, follow_redirects=False)
    assert done.status_code == 303 and _state(app, tenant, case_id) == "denied"
    assert app.cases_read is not None
    [event] = [e for e in app.cases_read.events(tenant, case_id) if e.kind.value == "overridden"]
    assert event.actor == f"agent:agent@{tenant}.example"
    again = agent.post(path, data=confirmed, follow_redirects=False)  # a double click
    assert again.status_code == 303
    events = [e for e in app.cases_read.events(tenant, case_id) if e.kind.value == "overridden"]
    assert len(events) == 1


def test_an_agent_withdraws_a_case_for_the_customer_after_confirming(
    app: App, tmp_path: Path
) -> None:
    tenant, case_id = _kero_review(app, "K2")
    agent = client(app, tmp_path)
    assert sign_in(agent, tenant, f"agent@{tenant}.example") == 303
    page = agent.get(f"/console/cases/{case_id}").text
    form = {"csrf_token": csrf(agent, f"/console/cases/{case_id}"), "nonce": _nonce(page),
            "reason": "the customer called to withdraw"}  # fmt: skip
    path = f"/console/cases/{case_id}/withdraw"
    shown = agent.post(path, data=form)
    assert shown.status_code == 200 and "Withdraw the case" in shown.text
    assert _state(app, tenant, case_id) == "in_review"
    done = agent.post(path, data={**form, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303 and _state(app, tenant, case_id) == "withdrawn"
    after = agent.get(f"/console/cases/{case_id}").text
    assert 'data-testid="withdraw"' not in after and 'data-testid="override"' not in after


_MP_INFO = {"account": "c1@acme.test Acme", "explanation": "not for us", "evidence": "log"}
_FIRST = {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True}}


def _in_review(app: App, tmp_path: Path, amount: str) -> tuple[str, str, str, Any, str]:
    """A MyProtektor case in review about a paid charge of ``amount``, and an agent signed in
    on its page: (tenant, case, payment, the agent's client, the page)."""
    tenant = policy_tenant(app, "myprotektor")
    ch, p = charge_and_pay(app, tenant, "C1", zar(amount), T0)
    case_id, _ = open_case(app, tenant, "C1", Subject.charge, ch, Reason.change_of_mind, T0,
                           information=_MP_INFO, facts=_FIRST, payment_id=p)  # fmt: skip
    seed_demo_logins(app, tenants=[tenant])
    agent = client(app, tmp_path)
    assert sign_in(agent, tenant, f"agent@{tenant}.example") == 303
    return tenant, case_id, p, agent, agent.get(f"/console/cases/{case_id}").text


def _approval_capped_at_500(agent: Any, case_id: str, page: str, payment: str
                            ) -> tuple[str, dict[str, str]]:  # fmt: skip
    """The override form approving the case's ZAR 500 payment "as decided", checked to refuse
    ZAR 99,999,999 on the form (no confirmation page): (its path, the form)."""
    form = {"csrf_token": csrf(agent, f"/console/cases/{case_id}"), "nonce": _nonce(page),
            "outcome": "approve", "currency": "ZAR", "payment": payment, "remedy": "",
            "reason": "goodwill"}  # fmt: skip
    path = f"/console/cases/{case_id}/override"
    too_much = agent.post(path, data={**form, "amount": "99999999"})
    assert too_much.status_code == 409 and 'data-testid="confirm"' not in too_much.text
    assert "at most ZAR 500.00" in too_much.text
    return path, form


def test_an_impossible_override_amount_is_shown_on_the_form_not_confirmed(
    app: App, tmp_path: Path
) -> None:
    tenant, case_id, p, agent, page = _in_review(app, tmp_path, "500.00")
    path, form = _approval_capped_at_500(agent, case_id, page, p)
    negative = agent.post(path, data={**form, "amount": "-5"})
    assert negative.status_code == 422 and 'data-testid="confirm"' not in negative.text
    assert "more than zero" in negative.text
    fine = agent.post(path, data={**form, "amount": "500.00"})
    assert fine.status_code == 200 and 'data-testid="confirm"' in fine.text
    assert _state(app, tenant, case_id) == "in_review"


def _judged_deny(app: App, tmp_path: Path) -> tuple[str, str, Any]:
    """A MyProtektor review an agent denied in the console: (tenant, case, the agent)."""
    tenant, case_id, _, agent, page = _in_review(app, tmp_path, "900.00")
    form = {"csrf_token": csrf(agent, f"/console/cases/{case_id}"), "nonce": _nonce(page),
            "outcome": "deny"}  # fmt: skip
    done = agent.post(f"/console/cases/{case_id}/judge", data=form, follow_redirects=False)
    assert done.status_code == 303 and _state(app, tenant, case_id) == "denied"
    return tenant, case_id, agent


def test_a_judged_deny_reads_as_a_deny_in_the_console_and_the_portal(
    app: App, tmp_path: Path
) -> None:
    tenant, case_id, agent = _judged_deny(app, tmp_path)
    shown = agent.get(f"/console/cases/{case_id}").text
    assert "<strong>deny</strong> · none · ZAR 0.00" in shown
    assert "Denied after review under clause 4.1" in shown and "Approved" not in shown
    mail = CaughtMail()
    customer = client(app, tmp_path / "portal", mail)
    assert portal_sign_in(customer, mail, tenant, f"c1@customers.{tenant}.example") == 303
    told = customer.get(f"/portal/cases/{case_id}").text
    assert "Denied after review under clause 4.1" in told and "Approved" not in told
    assert "ZAR 900.00" not in told
    # who did each step: the recorded actor for staff, plain words for the customer
    timeline = told.split('data-testid="events"')[1].split("</table>")[0]
    assert "<td>you</td>" in timeline and "<td>the business</td>" in timeline
    assert "agent:" not in timeline and "customer:" not in timeline
    staff_timeline = shown.split('data-testid="events"')[1].split("</table>")[0]
    assert "agent:" in staff_timeline and "customer:C1" in staff_timeline


def test_an_approval_over_a_denial_is_capped_before_the_confirmation_page(
    app: App, tmp_path: Path
) -> None:
    tenant, case_id, p, agent, page = _in_review(app, tmp_path, "500.00")
    token = csrf(agent, f"/console/cases/{case_id}")
    denied = {"csrf_token": token, "nonce": _nonce(page), "outcome": "deny"}
    agent.post(f"/console/cases/{case_id}/judge", data=denied, follow_redirects=False)
    page = agent.get(f"/console/cases/{case_id}").text
    path, form = _approval_capped_at_500(agent, case_id, page, p)
    done = agent.post(path, data={**form, "amount": "200", "confirm": "yes"},
                      follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and _state(app, tenant, case_id) == "paying"


def test_a_review_the_engine_could_not_quantify_offers_no_one_click_approve(
    app: App, tmp_path: Path
) -> None:
    tenant = policy_tenant(app, "conek")
    info = {"account": "c1@example.test C1", "explanation": "billed twice", "transaction": "July"}
    case_id, _ = open_case(app, tenant, "C1", Subject.account, "C1", Reason.billing_error, T0,
                           information=info)  # fmt: skip
    words = {"charge.charged_at": "31 July, the R499 one"}
    app.bus.handle(c.ProvideInformation(tenant, "i", case_id, T0, "customer:C1", words))
    assert _state(app, tenant, case_id) == "in_review"
    seed_demo_logins(app, tenants=[tenant])
    agent = client(app, tmp_path)
    assert sign_in(agent, tenant, f"agent@{tenant}.example") == 303
    page = agent.get(f"/console/cases/{case_id}").text
    judge = page.split('data-testid="judge"', 1)[1].split("</section>", 1)[0]
    assert 'value="approve"' not in judge and 'value="deny"' in judge
    assert "set the amount and remedy with the override" in judge
    assert 'data-testid="override"' in page
    refused = agent.post(f"/console/cases/{case_id}/judge",
                         data={"csrf_token": csrf(agent, f"/console/cases/{case_id}"),
                               "nonce": _nonce(page), "outcome": "approve"})  # fmt: skip
    assert refused.status_code == 409 and "moves nothing" in refused.text
    assert _state(app, tenant, case_id) == "in_review"


def test_the_portal_offers_no_appeal_once_every_stage_upheld_the_decision(
    app: App, tmp_path: Path
) -> None:
    tenant, case_id, _ = _judged_deny(app, tmp_path)
    mail = CaughtMail()
    customer = client(app, tmp_path / "portal", mail)
    assert portal_sign_in(customer, mail, tenant, f"c1@customers.{tenant}.example") == 303
    assert 'data-testid="appeal"' in customer.get(f"/portal/cases/{case_id}").text
    for n in (1, 2, 3):  # internal review, escalation, mediation (MyProtektor 9.1)
        app.bus.handle(c.AppealCase(tenant, f"a{n}", case_id, T0, "customer:C1", "please"))
        app.bus.handle(c.UpholdDecision(tenant, f"u{n}", case_id, T0, "agent:ann", "stands"))
        if n < 3:  # a stage is left: the portal offers the next appeal
            assert 'data-testid="appeal"' in customer.get(f"/portal/cases/{case_id}").text
    told = customer.get(f"/portal/cases/{case_id}").text
    assert 'data-testid="appeal"' not in told and "Under clause 9.1 this decision is final" in told
