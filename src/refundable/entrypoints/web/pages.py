"""What every console and portal route shares: rendering a page (with its CSRF token), the
checked form of a POST, and who is signed in.

Routes only translate: a form becomes a command or a query, a result becomes a template. The
rules live in the service layer; this module decides only who may ask (tenant, role, customer)
and answers a refused request with the project's error (what, where, what is allowed) on a
page, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from refundable.bootstrap import App
from refundable.config import Settings
from refundable.core.errors import InputError, InvariantBroken, RefundableError, status_of
from refundable.entrypoints.web import filters
from refundable.entrypoints.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    CUSTOMER_SESSION_S,
    SESSION_COOKIE,
    STAFF_SESSION_S,
    SessionData,
    Signer,
)
from refundable.service.logins import Login, Logins, Role
from refundable.service.ports import Mailer
from refundable.service.preview import Previewer
from refundable.service.tenant_reads import tenant_of
from refundable.tenants.model import Tenant

HERE = Path(__file__).parent
MAX_FORM_FIELDS = 50


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: one tenant, one role, and for customers one customer."""

    login: Login
    tenant: Tenant

    @property
    def tenant_id(self) -> str:
        return self.login.tenant_id

    @property
    def role(self) -> Role:
        return self.login.role

    @property
    def customer_id(self) -> str:
        if self.login.customer_id is None:
            raise InvariantBroken("a staff login has no customer")
        return self.login.customer_id


class Redirect(Exception):
    """Raised by a guard: answer with a redirect (to sign in) instead of the page."""

    def __init__(self, to: str) -> None:
        super().__init__(to)
        self.to = to


class Refused(Exception):
    """A signed-in person asked for something their role does not allow."""


@dataclass(frozen=True)
class Web:
    app: App
    settings: Settings
    mailer: Mailer | None
    signer: Signer
    templates: Jinja2Templates
    previewer: Previewer
    secure_cookies: bool = False

    @property
    def logins(self) -> Logins:
        if self.app.logins is None:
            raise InvariantBroken("this app was wired without a login store")
        return self.app.logins

    def page(self, request: Request, name: str, status: int = 200, **ctx: object) -> HTMLResponse:
        """A template rendered with the CSRF token its forms carry (set as a cookie the
        first time, HttpOnly: the token reaches the page only through the server)."""
        token = request.cookies.get(CSRF_COOKIE)
        fresh = None if self.signer.csrf_ok(token, token) else self.signer.new_csrf()
        ctx.update(csrf=fresh or token, csrf_field=CSRF_FIELD, csrf_header=CSRF_HEADER)
        response = self.templates.TemplateResponse(request, name, ctx, status_code=status)
        if fresh is not None:
            self.cookie(response, CSRF_COOKIE, fresh, max_age=None)
        return response

    def cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, samesite="lax",
            secure=self.secure_cookies, path="/",
        )  # fmt: skip

    def sign_in(self, response: Response, login: Login) -> None:
        token = self.signer.session(SessionData(login.tenant_id, login.email, login.role.value))
        max_age = STAFF_SESSION_S if login.role.staff else CUSTOMER_SESSION_S
        self.cookie(response, SESSION_COOKIE, token, max_age=max_age)

    def signed_in(self, to: str, login: Login) -> Response:
        response = RedirectResponse(to, status_code=303)
        self.sign_in(response, login)
        return response

    def principal(self, request: Request, staff: bool) -> Principal | None:
        """The signed-in login, reloaded from the store (None: not signed in, or not as the
        kind of person this part of the site serves)."""
        max_age = STAFF_SESSION_S if staff else CUSTOMER_SESSION_S
        session = self.signer.read_session(request.cookies.get(SESSION_COOKIE), max_age)
        if session is None:
            return None
        login = self.logins.find(session.tenant_id, session.email)
        if login is None or login.role.value != session.role or login.role.staff != staff:
            return None
        return Principal(login, tenant_of(self.app.bus, login.tenant_id))

    def error_page(self, request: Request, err: RefundableError) -> HTMLResponse:
        """The problem as a page, or, to htmx (which swaps it into the form's target, see
        ``base.html``), as the fragment alone."""
        name = "_error.html" if is_htmx(request) else "error.html"
        return self.page(request, name, status_of(err).http, error=err)


def is_htmx(request: Request) -> bool:
    """A request htmx sent: its answer is a fragment for the element it targets."""
    return bool(request.headers.get("hx-request"))


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def staff(request: Request) -> Principal:
    """FastAPI dependency: a console page needs a signed-in staff login."""
    found = web_of(request).principal(request, staff=True)
    if found is None:
        raise Redirect("/console/login")
    return found


def customer(request: Request) -> Principal:
    """FastAPI dependency: a portal page needs a signed-in customer."""
    found = web_of(request).principal(request, staff=False)
    if found is None:
        raise Redirect("/portal/sign-in")
    return found


def require(who: Principal, needed: Role) -> None:
    if not who.role.allows(needed):
        raise Refused(f"this needs the {needed.value} role; you are {who.role.value}")


async def checked_form(request: Request) -> dict[str, str]:
    """FastAPI dependency of every POST: the form's fields, once its CSRF token matches the
    cookie's (double submit). A mismatch is refused before any route code runs."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    submitted = fields.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER)
    if not web_of(request).signer.csrf_ok(request.cookies.get(CSRF_COOKIE), submitted):
        raise Refused("the form's security token is missing or stale: reload the page")
    return fields


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    filters.install(templates.env)
    return templates


def form_key(form: dict[str, str], action: str) -> str:
    """The idempotency key of a confirming form: its page's random nonce, so the same form
    submitted twice acts once."""
    nonce = form.get("nonce", "")
    if not nonce.isalnum() or len(nonce) > 40:
        raise InputError("the form is incomplete", where="nonce", allowed="reload the page")
    return f"web-{action}-{nonce}"


def signed_out(to: str) -> Response:
    """Sign out: the session cookie is dropped (the CSRF cookie stays: it is not a secret)."""
    response = RedirectResponse(to, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
