"""The portal's refund requests (in-memory store): a fact the request never gave is asked for
in plain words and never decided against the customer, what intake decides by itself is the
system's doing, and the request form offers every charge of the customer (and only theirs)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casefakes import Reason, Subject, case_of, charge_and_pay, events_of, open_case, zar
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.entrypoints.web import seed_demo_logins
from refundable.service import commands as c
from webpages import CaughtMail, client, csrf, portal_sign_in, sign_in, without_token

T0 = datetime(2026, 8, 3, 8, tzinfo=UTC)  # Monday 10:00 in Johannesburg
_NONCE = re.compile(r'name="nonce" value="([0-9a-f]+)"')


@pytest.fixture
def app() -> App:
    return bootstrap(MEMORY_URL, FixedClock(T0))


def _tenant(app: App) -> str:
    from casefakes import policy_tenant

    return policy_tenant(app, "conek")


def _portal(app: App, tenant: str, customer: str, tmp_path: Path) -> TestClient:
    seed_demo_logins(app, tenants=[tenant])
    mail = CaughtMail()
    browser = client(app, tmp_path, mail)
    email = f"{customer.lower()}@customers.{tenant}.example"
    assert portal_sign_in(browser, mail, tenant, email) == 303
    return browser


def _nonce(page: str) -> str:
    found = _NONCE.search(page)
    assert found is not None
    return found.group(1)


def _ask(browser: TestClient, **fields: str) -> str:
    """Send the new-request form, answering every intake item; the case id."""
    page = browser.get("/portal/cases/new").text
    answers = {f"answer-{k}": "see my last invoice" for k in
               re.findall(r'name="answer-([a-z_0-9]+)"', page)}  # fmt: skip
    form = {"csrf_token": csrf(browser, "/portal/cases/new"), "nonce": _nonce(page),
            "charge_kind": "subscription", **answers, **fields}  # fmt: skip
    sent = browser.post("/portal/cases", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"]).rsplit("/", 1)[1]


def test_a_billing_error_about_the_account_asks_for_the_charge_date_and_is_never_denied(
    app: App, tmp_path: Path
) -> None:
    tenant = _tenant(app)
    charge_and_pay(app, tenant, "C1", zar("499.00"), T0 - timedelta(days=3))
    browser = _portal(app, tenant, "C1", tmp_path)
    case_id = _ask(browser, charge="", reason="billing_error")
    case = case_of(app, tenant, case_id)
    assert case.state.value == "awaiting_information"
    assert case.missing == ("charge.charged_at",)
    [asked] = [
        e for e in events_of(app, tenant, case_id) if e.kind.value == "information_requested"
    ]
    assert asked.actor == "system" and asked.data["asks"] == "the date of the charge"
    page = browser.get(f"/portal/cases/{case_id}").text
    form = page.split("We still need", 1)[1].split("</form>", 1)[0]
    assert re.search(r'<label for="answer-charge\.charged_at">the date of the charge', form)
    assert "charge charged at" not in page and "charge.charged_at</" not in page
    # The answer is words, not a charge the engine can read: an agent reviews the request
    # with it instead of the case asking again, or denying.
    answer = {"csrf_token": csrf(browser, f"/portal/cases/{case_id}"), "nonce": _nonce(page),
              "answer-charge.charged_at": "31 July, the R499 one"}  # fmt: skip
    done = browser.post(f"/portal/cases/{case_id}/answer", data=answer, follow_redirects=False)
    assert done.status_code == 303
    case = case_of(app, tenant, case_id)
    assert case.state.value == "in_review" and case.missing == ()
    kinds = [e.kind.value for e in events_of(app, tenant, case_id)]
    assert "denied" not in kinds and "decided" not in kinds
    [review] = [e for e in events_of(app, tenant, case_id) if e.kind.value == "review_started"]
    assert review.actor == "system"
    agent = client(app, tmp_path / "agent")  # the reviewer reads the answer beside its question
    assert sign_in(agent, tenant, f"agent@{tenant}.example") == 303
    shown = agent.get(f"/console/cases/{case_id}").text
    assert "<dt>the date of the charge</dt><dd" in shown and "31 July, the R499 one" in shown


def test_what_intake_decides_by_itself_is_recorded_as_the_systems_doing(app: App) -> None:
    tenant = _tenant(app)
    ch, p = charge_and_pay(app, tenant, "C2", zar("499.00"), T0 - timedelta(days=3))
    facts = {"charge": {"kind": "subscription", "billing": "monthly"}}
    info = {"account": "c2@example.test C2", "explanation": "changed my mind"}
    case_id, _ = open_case(app, tenant, "C2", Subject.charge, ch, Reason.change_of_mind, T0,
                           facts=facts, payment_id=p, information=info)  # fmt: skip
    assert case_of(app, tenant, case_id).state.value == "denied"
    actors = {e.kind.value: e.actor for e in events_of(app, tenant, case_id)}
    assert actors["opened"] == "customer:C2"
    assert actors["decided"] == "system" and actors["denied"] == "system"


def test_the_form_offers_every_charge_of_the_customer_newest_first(
    app: App, tmp_path: Path
) -> None:
    tenant = _tenant(app)
    app.bus.handle(c.RegisterCustomer(tenant, "reg-c3", "C3"))
    app.bus.handle(c.RegisterCustomer(tenant, "reg-c4", "C4"))
    memos = {"sub-1": "demo-basic 2026-07-01 (clause 3.2)", "api-1": "setup for the API",
             "sub-2": "demo-basic 2026-08-01 (clause 3.2)"}  # fmt: skip
    for n, (ch, memo) in enumerate(memos.items()):
        at = T0 - timedelta(days=40 - 15 * n, hours=9)  # 23:00 UTC: 01:00 local, next day
        app.bus.handle(c.RecordCharge(tenant, f"k-{ch}", ch, "C3",
                                      Money.of(f"{n + 1}99.00", "ZAR"), at, memo))  # fmt: skip
    app.bus.handle(c.RecordCharge(tenant, "k-other", "other-1", "C4", zar("50.00"), T0))
    browser = _portal(app, tenant, "C3", tmp_path)
    page = browser.get("/portal/cases/new").text
    offered = re.findall(r'<option value="([^"]*)">([^<]*)</option>', page.split('id="charge"')[1]
                         .split("</select>")[0])  # fmt: skip
    assert [v for v, _ in offered] == ["sub-2", "api-1", "sub-1", ""]
    assert "other-1" not in page
    shown = dict(offered)
    assert "ZAR 399.00" in shown["sub-2"] and "demo-basic 2026-08-01" in shown["sub-2"]
    assert "2026-07-24" in shown["sub-2"]  # 2026-07-23 23:00 UTC is the 24th in Johannesburg
    assert "setup for the API" in shown["api-1"]


def _send(browser: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    page = browser.get("/portal/cases/new").text
    form = {"csrf_token": csrf(browser, "/portal/cases/new"), "nonce": _nonce(page),
            "charge_kind": "subscription", "reason": "duplicate_charge",
            "answer-account": "x", "answer-transaction": "t", "answer-explanation": "y",
            **fields}  # fmt: skip
    return browser.post("/portal/cases", data=form, follow_redirects=False)


def test_a_request_about_another_customers_charge_is_refused_as_unknown_and_writes_nothing(
    app: App, tmp_path: Path
) -> None:
    """The answer is the one an unknown charge gets: it never names who the charge is of."""
    tenant = _tenant(app)
    charge_and_pay(app, tenant, "C5", zar("10.00"), T0 - timedelta(days=1))
    theirs, _ = charge_and_pay(app, tenant, "C6", zar("99.00"), T0 - timedelta(days=1))
    browser = _portal(app, tenant, "C5", tmp_path)
    refused = _send(browser, charge=theirs)
    unknown = _send(browser, charge="ch-nobody")
    assert refused.status_code == unknown.status_code == 404
    assert f"no charge &#39;{theirs}&#39; of C5" in refused.text
    assert "C6" not in without_token(refused.text)
    assert without_token(refused.text).replace(theirs, "ID") == without_token(unknown.text).replace(
        "ch-nobody", "ID"
    )
    assert app.cases_read is not None
    assert app.cases_read.cases(tenant) == []


@pytest.mark.parametrize("charge", ["", "own"])
def test_a_request_naming_another_customers_payment_is_refused_and_writes_nothing(
    app: App, tmp_path: Path, charge: str
) -> None:
    """With a charge of theirs, or about the account (no charge): the payment money would go
    back to must be theirs too."""
    tenant = _tenant(app)
    own, _ = charge_and_pay(app, tenant, "C9", zar("10.00"), T0 - timedelta(days=1))
    _, their_payment = charge_and_pay(app, tenant, "C10", zar("99.00"), T0 - timedelta(days=1))
    browser = _portal(app, tenant, "C9", tmp_path)
    refused = _send(browser, charge=own if charge else "", payment=their_payment)
    assert refused.status_code == 404, refused.text
    assert f"no payment &#39;{their_payment}&#39; of C9" in refused.text
    assert "C10" not in without_token(refused.text)
    assert app.cases_read is not None
    assert app.cases_read.cases(tenant) == []


def test_the_form_shows_at_most_the_newest_charges_and_says_so(app: App, tmp_path: Path) -> None:
    from refundable.entrypoints.web.portal_cases import CHARGES_SHOWN

    tenant = _tenant(app)
    app.bus.handle(c.RegisterCustomer(tenant, "reg-c7", "C7"))
    for n in range(CHARGES_SHOWN + 1):
        at = T0 - timedelta(hours=CHARGES_SHOWN + 1 - n)
        app.bus.handle(c.RecordCharge(tenant, f"k-m{n}", f"m{n:03d}", "C7", zar("1.00"), at))
    browser = _portal(app, tenant, "C7", tmp_path)
    page = browser.get("/portal/cases/new").text
    assert f'value="m{CHARGES_SHOWN:03d}"' in page and 'value="m000"' not in page
    assert f"your newest {CHARGES_SHOWN} charges" in page


def test_what_a_case_still_needs_is_said_in_the_policys_words_not_its_keys(
    app: App, tmp_path: Path
) -> None:
    tenant = _tenant(app)
    charge_and_pay(app, tenant, "C8", zar("20.00"), T0 - timedelta(days=1))
    browser = _portal(app, tenant, "C8", tmp_path)
    page = browser.get("/portal/cases/new").text
    form = {"csrf_token": csrf(browser, "/portal/cases/new"), "nonce": _nonce(page),
            "charge": "", "charge_kind": "subscription", "reason": "duplicate_charge"}  # fmt: skip
    sent = browser.post("/portal/cases", data=form, follow_redirects=False)
    case_id = str(sent.headers["location"]).rsplit("/", 1)[1]
    assert case_of(app, tenant, case_id).missing == ("account", "transaction", "explanation")
    shown = browser.get(f"/portal/cases/{case_id}").text
    labels = re.findall(r'<label for="answer-([a-z.]+)">([^<]+)</label>', shown)
    assert labels == [
        ("account", "account email and business name"),
        ("transaction", "transaction date and amount"),
        ("explanation", "a detailed explanation of why a refund is requested"),
    ]
    still = shown.split("Still needed</dt>", 1)[1].split("</dd>", 1)[0]
    assert "account email and business name; transaction date and amount" in still


def _mail_out(app: App, tmp_path: Path, tenant: str) -> list[tuple[str, str]]:
    """Send what the outbox holds through a real SMTP server: (recipient, subject) each."""
    from outbox_kit import drain, sandbox, senders
    from refundable.adapters.email import SmtpMailer
    from refundable.service.outbox import Senders
    from smtp_box import smtp_server

    with smtp_server() as (box, port):
        s = senders(sandbox(tmp_path))
        mailer = SmtpMailer("127.0.0.1", port, "refunds@conek.example")
        drain(app, Senders(s.gateway, mailer, s.webhooks, s.fx), T0 + timedelta(hours=1), tenant)
    return [
        (to, str(m["Subject"])) for (_, [to]), m in zip(box.envelopes, box.messages, strict=True)
    ]


def test_a_case_opened_and_answered_in_the_portal_mails_the_signed_in_customer(
    app: App, tmp_path: Path
) -> None:
    """The notices go to the address on the customer's profile; the demo records its portal
    login address there, so the customer reads what the case asks where they signed in."""
    tenant = _tenant(app)
    app.bus.handle(c.RegisterCustomer(tenant, "reg-c11", "C11"))
    charge_and_pay(app, tenant, "C11", zar("20.00"), T0 - timedelta(days=1))
    browser = _portal(app, tenant, "C11", tmp_path)
    page = browser.get("/portal/cases/new").text
    form = {"csrf_token": csrf(browser, "/portal/cases/new"), "nonce": _nonce(page),
            "charge": "", "reason": "duplicate_charge"}  # fmt: skip
    sent = browser.post("/portal/cases", data=form, follow_redirects=False)
    case_id = str(sent.headers["location"]).rsplit("/", 1)[1]
    page = browser.get(f"/portal/cases/{case_id}").text
    answer = {"csrf_token": csrf(browser, f"/portal/cases/{case_id}"), "nonce": _nonce(page),
              "answer-account": "c11 Acme", "answer-transaction": "t"}  # fmt: skip
    assert browser.post(f"/portal/cases/{case_id}/answer", data=answer).status_code == 200
    mailed = _mail_out(app, tmp_path, tenant)
    address = f"c11@customers.{tenant}.example"
    assert sorted(s for _, s in mailed) == [
        f"We received your refund request {case_id}",
        f"Your refund request {case_id} needs more",
        f"Your refund request {case_id} needs more",  # after the answer: the explanation
    ]
    assert {to for to, _ in mailed} == {address}


def test_the_profile_address_wins_over_one_given_with_the_case(app: App) -> None:
    """The customer's profile is the source of truth: it wins over an address given with the
    case; without a profile the case's own address is used."""
    from casefakes import outbox_for

    tenant = _tenant(app)
    app.bus.handle(c.RegisterCustomer(tenant, "reg-c12", "C12"))
    ch, p = charge_and_pay(app, tenant, "C12", zar("20.00"), T0 - timedelta(days=1))
    info = {"email": "given@example.org"}
    first, _ = open_case(app, tenant, "C12", Subject.charge, ch, Reason.duplicate_charge, T0,
                         payment_id=p, information=info)  # fmt: skip
    before = len(outbox_for(app, tenant, first, "email"))
    app.bus.handle(c.RecordCustomerProfile(tenant, "prof-c12", "C12", T0, email="me@c12.example"))
    app.bus.handle(c.ProvideInformation(tenant, "pi-c12", first, T0, "customer:C12",
                                        information={"account": "c12"}))  # fmt: skip
    to = [m["to"] for m in outbox_for(app, tenant, first, "email")]
    assert len(to) > before > 0
    assert set(to[:before]) == {"given@example.org"} and set(to[before:]) == {"me@c12.example"}
