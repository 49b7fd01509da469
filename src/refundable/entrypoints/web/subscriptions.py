"""The portal's subscription pages: cancel online and change plan, each shown before it is
confirmed, in the policy's own terms.

The confirmation page lists every way the policy offers (and says why one it refuses is not
available now), with the date access ends, what is charged or credited, which credits are
forfeited and how long data is kept, each with its clause. Confirming is one button; nothing
asks the customer to stay. The form carries an idempotency key made when the page was shown,
so a double click or a resubmitted form cancels once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from refundable.billing.events import CancelMode
from refundable.core.errors import InputError
from refundable.entrypoints.web.pages import (
    Principal,
    checked_form,
    customer,
    form_key,
    web_of,
)
from refundable.service import commands as c
from refundable.service.subscription_preview import preview_cancellations, preview_plan_changes

router = APIRouter(prefix="/portal/subscriptions")
Customer = Annotated[Principal, Depends(customer)]
Form = Annotated[dict[str, str], Depends(checked_form)]
Preview = Callable[..., Sequence[Any]]  # the subscription_preview function for the page


def _actor(who: Principal) -> str:
    return f"customer:{who.customer_id}"


def _confirm_page(
    request: Request, who: Principal, subscription_id: str, preview: Preview, template: str
) -> Response:
    """What each way offered would do, shown before anything is confirmed; the form's key
    (``nonce``) is made with the page, so resubmitting it changes nothing twice."""
    web = web_of(request)
    options = preview(
        web.app.bus, who.tenant_id, subscription_id, web.app.clock.now(), who.customer_id
    )
    return web.page(
        request, template, who=who, subscription_id=subscription_id, options=options,
        nonce=secrets.token_hex(12),
    )  # fmt: skip


@router.get("/{subscription_id}/cancel", response_class=HTMLResponse)
def cancel_page(request: Request, subscription_id: str, who: Customer) -> Response:
    return _confirm_page(request, who, subscription_id, preview_cancellations, "portal/cancel.html")


@router.post("/{subscription_id}/cancel")
def cancel(request: Request, subscription_id: str, who: Customer, form: Form) -> Response:
    web = web_of(request)
    now = web.app.clock.now()
    # the preview checks the subscription is this customer's before anything is written
    preview_cancellations(web.app.bus, who.tenant_id, subscription_id, now, who.customer_id)
    try:
        mode = CancelMode(form.get("mode", ""))
    except ValueError:
        raise InputError(
            "unknown way of cancelling", where="mode",
            allowed=", ".join(m.value for m in CancelMode),
        ) from None  # fmt: skip
    key = form_key(form, "cancel")
    web.app.bus.handle(
        c.CancelSubscription(who.tenant_id, key, subscription_id, now, mode, actor_id=_actor(who))
    )
    return RedirectResponse("/portal/", status_code=303)


@router.post("/{subscription_id}/undo-cancel")
def undo_cancel(request: Request, subscription_id: str, who: Customer, form: Form) -> Response:
    web = web_of(request)
    now = web.app.clock.now()
    preview_cancellations(web.app.bus, who.tenant_id, subscription_id, now, who.customer_id)
    key = form_key(form, "undo")
    web.app.bus.handle(
        c.UndoCancellation(who.tenant_id, key, subscription_id, now, actor_id=_actor(who))
    )
    return RedirectResponse("/portal/", status_code=303)


@router.get("/{subscription_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, subscription_id: str, who: Customer) -> Response:
    return _confirm_page(request, who, subscription_id, preview_plan_changes, "portal/plan.html")


@router.post("/{subscription_id}/plan")
def change_plan(request: Request, subscription_id: str, who: Customer, form: Form) -> Response:
    web = web_of(request)
    now = web.app.clock.now()
    options = preview_plan_changes(
        web.app.bus, who.tenant_id, subscription_id, now, who.customer_id
    )
    chosen = next((o for o in options if o.label == form.get("plan") and o.after), None)
    if chosen is None:
        raise InputError(
            "that plan is not one you can move to", where="plan",
            allowed=", ".join(o.label for o in options if o.after) or "no other plan now",
        )  # fmt: skip
    kind = c.UpgradePlan if chosen.upgrade else c.DowngradePlan
    key = form_key(form, "plan")
    web.app.bus.handle(
        kind(who.tenant_id, key, subscription_id, chosen.label, now, actor_id=_actor(who))
    )
    return RedirectResponse("/portal/", status_code=303)
