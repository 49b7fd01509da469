"""The login store on SQLite and PostgreSQL: logins per tenant, one email once per tenant,
a sign-in link redeemed once even when 16 browsers race, used links that cannot be rewritten,
and the console reading its customer and policy pages from each store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from fakes import customer, top_up
from races import race
from refundable.bootstrap import App
from refundable.core.errors import Conflict, InputError
from refundable.core.time import UTC
from refundable.entrypoints.web import seed_demo_logins
from refundable.service.logins import Login, Role
from webpages import CaughtMail, client, portal_sign_in, sign_in

T = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_login_per_email_and_tenant(app: App, tenant: str) -> None:
    store = app.logins
    assert store is not None
    staff = Login(tenant, "ann@shop.example", Role.agent, T, "$argon2id$x")
    store.add(staff)
    store.add(Login(tenant + "b", "ann@shop.example", Role.customer, T, None, "C1"))
    with pytest.raises(Conflict, match="already has a login"):
        store.add(Login(tenant, "ann@shop.example", Role.admin, T, "$argon2id$y"))
    assert store.find(tenant, "ann@shop.example") == staff
    assert store.find(tenant, "bob@shop.example") is None
    assert [v.email for v in store.of_tenant(tenant)] == ["ann@shop.example"]
    assert {tenant, tenant + "b"} <= set(store.tenants())


def test_a_login_is_either_staff_with_a_password_or_a_customer() -> None:
    with pytest.raises(InputError, match="a login with role agent needs a password"):
        Login("t", "a@b.example", Role.agent, T)
    with pytest.raises(InputError, match="names a customer"):
        Login("t", "a@b.example", Role.customer, T, None)


def test_a_sign_in_link_is_redeemed_once_under_a_race(app: App, tenant: str) -> None:
    store = app.logins
    assert store is not None
    results = race(16, lambda i: store.use_link(tenant, "link-1", "c@x.example", T))
    assert sorted(map(repr, results)) == sorted(["True"] + ["False"] * 15)
    assert store.use_link(tenant, "link-2", "c@x.example", T) is True


def test_at_most_three_links_per_address_and_window_even_under_a_race(
    app: App, tenant: str
) -> None:
    """The limit lives in the store, so serve processes sharing it share the limit: of 16
    requests racing for one address, three may mail a link."""
    from datetime import timedelta

    from refundable.service.logins import LINK_WINDOW_S, may_send_link

    store = app.logins
    assert store is not None
    results = race(16, lambda i: may_send_link(store, tenant, "c@x.example", T))
    assert sorted(map(repr, results)) == sorted(["True"] * 3 + ["False"] * 13)
    assert may_send_link(store, tenant, "d@x.example", T)  # another address: its own count
    assert may_send_link(store, tenant + "b", "c@x.example", T)  # another tenant's login
    assert may_send_link(store, tenant, "c@x.example", T + timedelta(seconds=LINK_WINDOW_S))


def test_used_links_cannot_be_rewritten(app: App, tenant: str) -> None:
    assert app.logins is not None and app.logins.use_link(tenant, "L9", "c@x.example", T)
    with pytest.raises(Exception, match="append-only"), app.db.begin() as conn:
        conn.execute(text("DELETE FROM sign_in_links WHERE tenant_id = :t"), {"t": tenant})


def test_the_console_and_portal_read_from_the_store(app: App, tenant: str, tmp_path: Path) -> None:
    customer(app, tenant, "C1")
    top_up(app, tenant, "C1", "42", "w1")
    seed_demo_logins(app, tenants=[tenant])
    c = client(app, tmp_path)
    assert sign_in(c, tenant, f"agent@{tenant}.example") == 303
    page = c.get("/console/customers/C1")
    assert page.status_code == 200 and "42.00" in page.text
    assert "in force" in c.get("/console/policy").text
    mail = CaughtMail()
    p = client(app, tmp_path, mail)
    assert portal_sign_in(p, mail, tenant, f"c1@customers.{tenant}.example") == 303
    assert "42.00" in p.get("/portal/").text
