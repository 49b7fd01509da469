"""The customer portal: sign in by an emailed one-time link, then see one's own plan, wallet,
credit lots and statement.

Sign-in never reveals whether an address has an account (the same page follows every
request), and an address is mailed at most a few links per window (``may_send_link``): past
them the same page follows, with no mail. The link opens a page with one button rather than
signing in on GET, because mail scanners fetch links: only the person's click (a POST with the
page's CSRF token) redeems it, and only once (``Logins.use_link``). A customer's pages read for
their own customer id, taken from their login, never from the URL.
"""

from __future__ import annotations

from secrets import token_hex
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from refundable.core.errors import RefundableError
from refundable.entrypoints.web.console import customer_view
from refundable.entrypoints.web.pages import (
    Principal,
    Web,
    checked_form,
    customer,
    signed_out,
    web_of,
)
from refundable.entrypoints.web.security import LINK_MAX_AGE_S
from refundable.service.logins import Login, may_send_link, normal_email

router = APIRouter(prefix="/portal")
Customer = Annotated[Principal, Depends(customer)]
Form = Annotated[dict[str, str], Depends(checked_form)]


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    web = web_of(request)
    return web.page(request, "portal/sign_in.html", tenants=web.logins.tenants())


@router.post("/sign-in", response_class=HTMLResponse)
def ask_for_link(request: Request, form: Form) -> Response:
    web = web_of(request)
    tenant_id = form.get("tenant", "")
    try:
        email = normal_email(form.get("email", ""), where="email")
    except RefundableError as err:
        return web.page(
            request, "portal/sign_in.html", 422, tenants=web.logins.tenants(), error=err
        )
    found = web.logins.find(tenant_id, email)
    if (
        found is not None
        and found.customer_id is not None
        and may_send_link(web.logins, tenant_id, email, web.app.clock.now())
    ):
        _send_link(web, request, found)
    return web.page(request, "portal/link_sent.html", email=email, minutes=LINK_MAX_AGE_S // 60)


def _send_link(web: Web, request: Request, login: Login) -> None:
    token = web.signer.link(login.tenant_id, login.email)
    url = str(request.url_for("open_link")) + "?" + urlencode({"token": token})
    minutes = LINK_MAX_AGE_S // 60
    text = (
        f"Sign in to your account:\n\n{url}\n\n"
        f"The link works once, for {minutes} minutes. If you did not ask for it, ignore "
        "this message: nobody can sign in without it."
    )
    if web.mailer is None:
        raise RefundableError(
            "this server has no way to send email", where="portal", allowed="ask support"
        )
    web.mailer.send(login.email, "Your sign-in link", text)


@router.get("/link", response_class=HTMLResponse, name="open_link")
def open_link(request: Request, token: str = "") -> Response:
    web = web_of(request)
    data = web.signer.read_link(token)
    return web.page(request, "portal/link.html", 200 if data else 400, token=token, ok=bool(data))


@router.post("/link")
def redeem_link(request: Request, form: Form) -> Response:
    web = web_of(request)
    data = web.signer.read_link(form.get("token"))
    login = web.logins.find(data.tenant_id, data.email) if data is not None else None
    now = web.app.clock.now()
    if (
        data is None
        or login is None
        or login.customer_id is None
        or not web.logins.use_link(data.tenant_id, data.link_id, data.email, now)
    ):
        return web.page(request, "portal/link.html", 400, token="", ok=False, used=True)
    return web.signed_in("/portal/", login)


@router.post("/logout")
def logout(request: Request, form: Form) -> Response:
    return signed_out("/portal/sign-in")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Customer) -> Response:
    web = web_of(request)
    view = customer_view(web.app, who.tenant_id, who.customer_id, known=True)
    reads = web.app.cases_read
    cases = reads.cases(who.tenant_id, customer_id=who.customer_id) if reads is not None else []
    return web.page(
        request, "portal/home.html", who=who, view=view, cases=cases, nonce=token_hex(12)
    )
