"""The customer portal on the in-memory store: sign-in by an emailed one-time link (single
use, short-lived, no account enumeration), and a customer sees only their own records."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fakes import T0, TENANT, customer, lot, open_tenant, top_up
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.entrypoints.web import seed_demo_logins
from refundable.entrypoints.web.security import LINK_MAX_AGE_S, SESSION_COOKIE
from webpages import CaughtMail, client, csrf, portal_sign_in, sign_in, without_token

C1 = "c1@customers.acme.example"


@dataclass
class MovingClock:
    """A clock a test moves forward."""

    at: datetime

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    """A fresh app per test (each test's links count towards its own sign-in limit), on a
    clock the test may move."""
    app = bootstrap(MEMORY_URL, MovingClock(T0))
    open_tenant(app)
    for cid in ("C1", "C2"):
        customer(app, TENANT, cid)
        top_up(app, TENANT, cid, "15" if cid == "C1" else "99", f"w-{cid}")
    lot(app, TENANT, "C1", "L1", 100, "50")
    seed_demo_logins(app, tenants=[TENANT])
    return app


def test_a_customer_signs_in_by_link_and_sees_only_their_own(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mail = CaughtMail()
    c = client(app, tmp_path, mail)
    assert c.get("/portal/", follow_redirects=False).headers["location"] == "/portal/sign-in"
    assert portal_sign_in(c, mail, TENANT, C1) == 303
    home = c.get("/portal/")
    assert home.status_code == 200 and "15.00" in home.text and "L1" in home.text
    shown = without_token(home.text)  # a random CSRF token may spell "C2" by chance
    assert "99.00" not in shown and "C2" not in shown
    # a customer's session opens no console page
    assert c.get("/console/", follow_redirects=False).headers["location"] == "/console/login"


def test_a_link_works_once(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mail = CaughtMail()
    c = client(app, tmp_path, mail)
    assert portal_sign_in(c, mail, TENANT, C1) == 303
    link = mail.link_for(C1)
    again = client(app, tmp_path, mail)  # the link forwarded to another browser
    form = {"csrf_token": csrf(again, link), "token": link.split("token=")[1]}
    refused = again.post("/portal/link", data=form, follow_redirects=False)
    assert refused.status_code == 400 and "already used" in refused.text
    assert SESSION_COOKIE not in again.cookies


def test_an_expired_or_altered_link_is_refused(app, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mail = CaughtMail()
    c = client(app, tmp_path, mail)
    c.post("/portal/sign-in", data={"csrf_token": csrf(c, "/portal/sign-in"), "tenant": TENANT,
                                    "email": C1})  # fmt: skip
    link = mail.link_for(C1)
    assert c.get(link[:-4] + "AAAA").status_code == 400
    later = time.time() + LINK_MAX_AGE_S + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    page = c.get(link)
    assert page.status_code == 400 and "has expired" in page.text


def test_asking_for_a_link_does_not_tell_who_has_an_account(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mail = CaughtMail()
    c = client(app, tmp_path, mail)
    answers = []
    for email in (C1, "stranger@example.com", "agent@acme.example"):
        form = {"csrf_token": csrf(c, "/portal/sign-in"), "tenant": TENANT, "email": email}
        page = c.post("/portal/sign-in", data=form)
        answers.append((page.status_code, page.text.replace(email, "EMAIL")))
    assert answers[0] == answers[1] == answers[2]
    assert [to for to, _, _ in mail.sent] == [C1]  # only the customer got a link


def test_staff_sessions_do_not_open_the_portal(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "admin@acme.example") == 303
    assert c.get("/portal/", follow_redirects=False).headers["location"] == "/portal/sign-in"


def test_the_api_app_serves_the_pages_and_the_demo_prints_its_mail(  # type: ignore[no-untyped-def]
    app, tmp_path: Path, capsys
) -> None:
    from fastapi.testclient import TestClient

    from refundable.adapters.email import SmtpMailer
    from refundable.config import Settings
    from refundable.entrypoints.api.app import create_app
    from refundable.entrypoints.web import mailer_for

    assert isinstance(mailer_for(Settings(smtp_host="relay.example")), SmtpMailer)
    assert isinstance(mailer_for(Settings(demo=False)), SmtpMailer)
    c = TestClient(create_app(app, Settings(data_dir=tmp_path)))
    assert c.get("/health").status_code == 200
    token = csrf(c, "/portal/sign-in")
    c.post("/portal/sign-in", data={"csrf_token": token, "tenant": TENANT, "email": C1})
    printed = capsys.readouterr().out
    assert f"mail to {C1}" in printed and "/portal/link?token=" in printed
    assert c.get("/v1/nothing-here").headers["content-type"] == "application/problem+json"
    assert c.get("/", follow_redirects=False).headers["location"] == "/console/"


def test_sign_in_links_are_limited_per_address_and_the_page_does_not_say_so(  # type: ignore[no-untyped-def]
    app, tmp_path: Path
) -> None:
    """Fifteen requests in a second mail three links; every answer is the page anyone gets,
    so the limit tells nobody whether the address has an account. The next window (15
    minutes on) mails again."""
    from refundable.service.logins import LINK_WINDOW_S, LINKS_PER_WINDOW

    mail = CaughtMail()
    c = client(app, tmp_path, mail)
    answers = set()
    for email in [C1] * 15 + ["stranger@example.com"]:
        form = {"csrf_token": csrf(c, "/portal/sign-in"), "tenant": TENANT, "email": email}
        page = c.post("/portal/sign-in", data=form)
        answers.add((page.status_code, without_token(page.text).replace(email, "EMAIL")))
    assert len(answers) == 1 and LINKS_PER_WINDOW == 3
    assert [to for to, _, _ in mail.sent] == [C1] * LINKS_PER_WINDOW
    app.clock.at += timedelta(seconds=LINK_WINDOW_S)
    assert portal_sign_in(c, mail, TENANT, C1) == 303
    assert len(mail.sent) == LINKS_PER_WINDOW + 1
