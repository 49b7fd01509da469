"""The agent console on the in-memory store: sign-in with Argon2 passwords, signed sessions,
CSRF on every form, one tenant's view per login, the customer and policy pages, the preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from fakes import TENANT, customer, lot, memory_app, open_tenant, top_up
from refundable.entrypoints.web import console, policy_upload, portal, seed_demo_logins
from refundable.entrypoints.web.security import SESSION_COOKIE
from refundable.service.logins import Role
from webpages import client, csrf, sign_in

OTHER = "other"


@pytest.fixture(scope="module")
def app():  # type: ignore[no-untyped-def]
    app = memory_app()
    open_tenant(app, OTHER)
    for tenant, cid in ((TENANT, "C1"), (OTHER, "Z9")):
        customer(app, tenant, cid)
        top_up(app, tenant, cid, "20", f"w-{cid}")
    lot(app, TENANT, "C1", "L1", 100, "50")
    seed_demo_logins(app, tenants=[TENANT, OTHER])
    return app


def test_demo_logins_hash_passwords_and_are_seeded_once(app) -> None:  # type: ignore[no-untyped-def]
    agent = app.logins.find(TENANT, "agent@acme.example")
    assert agent.role is Role.agent and agent.password_hash.startswith("$argon2id$")
    again = seed_demo_logins(app, tenants=[TENANT, OTHER])
    assert app.logins.find(TENANT, "agent@acme.example") == agent  # not re-hashed
    portal = [d for d in again if d.role is Role.customer]
    assert {(d.tenant_id, d.customer_id) for d in portal} == {(TENANT, "C1"), (OTHER, "Z9")}


def test_sign_in_then_out(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert c.get("/console/", follow_redirects=False).headers["location"] == "/console/login"
    assert sign_in(c, TENANT, "agent@acme.example") == 303
    home = c.get("/console/")
    assert home.status_code == 200 and "agent@acme.example" in home.text and "C1" in home.text
    c.post("/console/logout", data={"csrf_token": csrf(c, "/console/")})
    assert c.get("/console/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("tenant", "email", "password"),
    [
        (TENANT, "agent@acme.example", "wrong"),
        (OTHER, "agent@acme.example", "refundable-demo"),  # right password, other tenant
        (TENANT, "nobody@acme.example", "refundable-demo"),
        (TENANT, "c1@customers.acme.example", "refundable-demo"),  # a customer has no password
        (TENANT, "not an email", "refundable-demo"),
    ],
)
def test_a_failed_sign_in_says_the_same_whatever_was_wrong(  # type: ignore[no-untyped-def]
    app, tmp_path: Path, tenant: str, email: str, password: str
) -> None:
    c = client(app, tmp_path)
    token = csrf(c, "/console/login")
    form = {"csrf_token": token, "tenant": tenant, "email": email, "password": password}
    page = c.post("/console/login", data=form)
    assert page.status_code == 401
    assert "do not match a login" in page.text and SESSION_COOKIE not in c.cookies


def test_every_form_is_refused_without_its_csrf_token(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    routes = [*console.router.routes, *policy_upload.router.routes, *portal.router.routes]
    posts = sorted(r.path for r in routes if isinstance(r, APIRoute) and "POST" in r.methods)
    wanted = {"/console/login", "/console/policy/preview", "/console/policy/versions"}
    assert wanted | {"/portal/sign-in"} <= set(posts)
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "admin@acme.example") == 303
    stolen = csrf(c, "/console/")
    for path in posts:
        assert c.post(path, data={"x": "1"}).status_code == 403, path
        forged = {"csrf_token": stolen[:-2] + "xx"}
        assert c.post(path, data=forged).status_code == 403, path
    assert c.get("/console/").status_code == 200  # still signed in: nothing was done


def test_a_forged_or_foreign_session_cookie_signs_nobody_in(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "agent@acme.example") == 303
    cookie = c.cookies[SESSION_COOKIE]
    other = client(app, tmp_path / "elsewhere")  # another deployment: another secret key
    other.cookies.set(SESSION_COOKIE, cookie)
    assert other.get("/console/", follow_redirects=False).status_code == 303
    c.cookies.set(SESSION_COOKIE, cookie[:-3] + "abc")
    assert c.get("/console/", follow_redirects=False).status_code == 303


def test_an_agent_sees_only_their_tenant(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "agent@acme.example") == 303
    listed = c.get("/console/").text  # by link: a random CSRF token may spell "Z9" by chance
    assert "/console/customers/C1" in listed and "/console/customers/Z9" not in listed
    page = c.get("/console/customers/C1")
    assert page.status_code == 200 and "L1" in page.text and "20.00" in page.text
    foreign = c.get("/console/customers/Z9")  # a customer of the other tenant
    assert foreign.status_code == 404 and "no records for customer" in foreign.text
    c2 = client(app, tmp_path)
    assert sign_in(c2, OTHER, "viewer@other.example") == 303
    assert c2.get("/console/customers/Z9").status_code == 200
    assert c2.get("/console/customers/C1").status_code == 404


def test_the_policy_page_shows_versions_coverage_and_previews(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "viewer@acme.example") == 303
    page = c.get("/console/policy")
    assert page.status_code == 200 and "in force" in page.text and "Clause coverage" in page.text
    token = csrf(c, "/console/policy")
    request = (
        "requested_at: 2026-03-03T09:00:00+00:00\nreason: duplicate_charge\n"
        "charge: {kind: subscription, amount: '100.00', currency: ZAR, "
        "charged_at: 2026-03-01T09:00:00+00:00}\n"
    )
    shown = c.post("/console/policy/preview", data={"csrf_token": token, "request": request},
                   headers={"HX-Request": "true"})  # fmt: skip
    assert shown.status_code == 200 and "<html" not in shown.text  # a fragment for htmx
    assert ">approve</strong>" in shown.text and "ZAR 100.00" in shown.text
    assert "<strong>2.2</strong>" in shown.text and 'data-testid="trace"' in shown.text
    bad = c.post("/console/policy/preview", data={"csrf_token": token, "request": "reason: [1"})
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    assert "Traceback" not in bad.text


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{{{", "line 1"),
        ("requested_at: 2026-03-03T09:00:00\nreason: duplicate_charge\n", "requested_at"),
        (
            "requested_at: 2026-03-03T09:00:00+00:00\nreason: duplicate_charge\n"
            "charge: {kind: subscription, amount: 12.5, currency: ZAR, "
            "charged_at: 2026-03-01T09:00:00+00:00}\n",
            "charge.amount",
        ),
    ],
)
def test_a_bad_preview_request_answers_htmx_with_its_problem(  # type: ignore[no-untyped-def]
    app, tmp_path: Path, text: str, where: str
) -> None:
    """htmx is told (base.html) to swap a 4xx answer in, so the answer to a bad request is
    the problem alone, as a fragment: what, where, what is allowed."""
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "viewer@acme.example") == 303
    token = csrf(c, "/console/policy")
    bad = c.post("/console/policy/preview", data={"csrf_token": token, "request": text},
                 headers={"HX-Request": "true"})  # fmt: skip
    assert bad.status_code == 422 and "<html" not in bad.text
    assert 'data-testid="error"' in bad.text and where in bad.text, bad.text
    page = c.get("/console/policy")
    assert '"[45]..", "swap": true' in page.text  # the pages' htmx swaps 4xx and 5xx answers


def test_a_refusal_or_an_error_answers_htmx_with_a_fragment(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, TENANT, "viewer@acme.example") == 303
    missing = c.get("/console/customers/nobody", headers={"HX-Request": "true"})
    assert missing.status_code == 404 and "<html" not in missing.text
    assert 'data-testid="error"' in missing.text and "nobody" in missing.text
    assert "<html" in c.get("/console/customers/nobody").text  # without htmx: the page
