"""The agent console: sign in, customers (ledger statement, wallet, credit lots), the policy.

Every page reads for the signed-in login's tenant only: no URL names a tenant, so no link or
typed address can reach another tenant's records. Pages read through the service's queries;
the one form that decides (the preview) goes through ``tenant_reads.preview_decision``, which
stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from refundable.billing.records import SubscriptionEvent, SubscriptionRecord
from refundable.bootstrap import App
from refundable.core import limits
from refundable.core.errors import NotFound, RefundableError
from refundable.core.textinput import load_document
from refundable.entrypoints.web.pages import (
    Principal,
    checked_form,
    is_htmx,
    signed_out,
    staff,
    web_of,
)
from refundable.entrypoints.web.policy_upload import upload_page
from refundable.entrypoints.web.security import verify_password
from refundable.ledger.lots import CreditLot
from refundable.service.logins import normal_email
from refundable.service.queries import Balance, StatementLine

router = APIRouter(prefix="/console")
Staff = Annotated[Principal, Depends(staff)]
Form = Annotated[dict[str, str], Depends(checked_form)]
STATEMENT_LINES = 200


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    web = web_of(request)
    return web.page(request, "console/login.html", tenants=web.logins.tenants())


@router.post("/login")
def login(request: Request, form: Form) -> Response:
    """Sign in. A wrong organisation, email or password gets the same answer, so the form
    does not tell which emails have logins."""
    web = web_of(request)
    tenant_id = form.get("tenant", "")
    try:
        email = normal_email(form.get("email", ""))
    except RefundableError:
        email = ""
    found = web.logins.find(tenant_id, email) if email else None
    hashed = found.password_hash if found is not None and found.role.staff else None
    if found is None or not verify_password(form.get("password", ""), hashed):
        return web.page(
            request, "console/login.html", 401, tenants=web.logins.tenants(),
            failed=True, email=email, tenant=tenant_id,
        )  # fmt: skip
    return web.signed_in("/console/", found)


@router.post("/logout")
def logout(request: Request, form: Form) -> Response:
    return signed_out("/console/login")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Staff) -> Response:
    web = web_of(request)
    balances = web.app.queries.balances(who.tenant_id)
    customers = sorted(
        {b.account.owner for b in balances if b.account.kind.spec.per_customer and b.account.owner}
    )
    return web.page(request, "console/home.html", who=who, customers=customers)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: str, who: Staff) -> Response:
    web = web_of(request)
    view = customer_view(web.app, who.tenant_id, customer_id)
    return web.page(request, "console/customer.html", who=who, view=view)


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A customer's money and credits (the same view for the console and the portal)."""

    customer_id: str
    wallet: list[Balance]
    credits: list[Balance]
    lots: list[CreditLot]
    lines: list[StatementLine]
    now: datetime
    subscriptions: list[SubscriptionRecord]
    history: dict[str, list[SubscriptionEvent]]


def customer_view(app: App, tenant_id: str, customer_id: str, known: bool = False) -> CustomerView:
    """``known``: the customer is known to exist (a portal login), so no records is no error."""
    q = app.queries
    balances = q.balances(tenant_id, owner=customer_id)
    lots = q.lots_of(tenant_id, customer_id)
    lines = q.statement(tenant_id, customer_id, limit=STATEMENT_LINES)
    subs = app.subscriptions.of_customer(tenant_id, customer_id)
    if not (known or balances or lots or lines or subs):
        raise NotFound(
            f"no records for customer {customer_id!r} at this business",
            where="customer",
            allowed="a customer of your organisation (see the customer list)",
        )
    units = [b for b in balances if b.account.kind.spec.units]
    money = [b for b in balances if not b.account.kind.spec.units]
    history = {r.subscription_id: app.subscriptions.history(tenant_id, r.subscription_id)
               for r in subs}  # fmt: skip
    return CustomerView(customer_id, money, units, lots, lines, app.clock.now(), subs, history)


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, who: Staff) -> Response:
    published = request.query_params.get("published")
    shown = published[: limits.MAX_ID_LENGTH] if published else None
    return upload_page(request, who, {"published": shown})


@router.post("/policy/preview", response_class=HTMLResponse)
def preview(request: Request, who: Staff, form: Form) -> Response:
    """Try a request against the policy in force: the decision, or every problem of the
    request; nothing is stored. htmx swaps the fragment in; without JavaScript the whole
    page comes back with the result."""
    web = web_of(request)
    text = form.get("request", "")
    try:
        decision, error = web.previewer.preview(who.tenant_id, load_document(text)), None
    except RefundableError as err:
        decision, error = None, err
    name = "console/_decision.html" if is_htmx(request) else "console/tried.html"
    return web.page(
        request, name, 200 if error is None else 422, who=who, decision=decision,
        error=error, request_text=text,
    )  # fmt: skip
