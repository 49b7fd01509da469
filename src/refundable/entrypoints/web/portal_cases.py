"""The portal's refund cases: ask for a refund, follow the case and its deadlines, answer
what it still needs, accept a settlement, appeal where the policy allows, withdraw.

The request form asks exactly what the tenant's policy in force asks (its ``cases.intake``
items, each with its clause), leaving out what the chosen charge already answers; the
reasons offered are the policy's vocabulary. Every step is the case command with the
customer as the actor, on a case that must be theirs.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from refundable.cases.model import CaseState, Subject
from refundable.cases.rules import case_rules
from refundable.cases.transitions import allowed_events
from refundable.core.errors import InputError
from refundable.entrypoints.web.cases import reads_of
from refundable.entrypoints.web.pages import Principal, checked_form, customer, form_key, web_of
from refundable.policy.facts import ChargeKind, Reason
from refundable.service import commands as c
from refundable.service.case_reads import case_view
from refundable.service.commands.cases import CaseStep
from refundable.service.tenant_reads import policy_in_force

router = APIRouter(prefix="/portal/cases")
Customer = Annotated[Principal, Depends(customer)]
Form = Annotated[dict[str, str], Depends(checked_form)]
_REF = re.compile(r"^(charge|payment) (\S+)")
_CLOSED_FOR_APPEAL = (CaseState.denied, CaseState.paid, CaseState.credited)


CHARGES_SHOWN = 100  # the request form offers the customer's newest charges, this many


def _refs(request: Request, who: Principal, kind: str) -> list[str]:
    """The customer's payments, as their statement names them (newest first)."""
    lines = web_of(request).app.queries.statement(who.tenant_id, who.customer_id, limit=200)
    found = [m.group(2) for m in (_REF.match(x.memo) for x in lines) if m and m.group(1) == kind]
    return list(dict.fromkeys(reversed(found)))


@router.get("/new", response_class=HTMLResponse)
def new_case(request: Request, who: Customer) -> Response:
    """The request form. The charges offered are read from the store (every charge of the
    customer, whatever its memo says, newest first); choosing one of another customer is
    refused by the case itself (``stored_charge``)."""
    web = web_of(request)
    rules = case_rules(policy_in_force(web.app.bus, who.tenant_id, web.app.clock.now()))
    charges = web.app.resources.charges_of(who.tenant_id, who.customer_id, CHARGES_SHOWN)
    return web.page(
        request, "portal/new_case.html", who=who, intake=rules.intake, reasons=list(Reason),
        kinds=list(ChargeKind), charges=charges.items, more_charges=charges.has_more,
        charges_shown=CHARGES_SHOWN, payments=_refs(request, who, "payment"),
        nonce=secrets.token_hex(12),
    )  # fmt: skip


@router.post("")
def open_case(request: Request, who: Customer, form: Form) -> Response:
    web = web_of(request)
    charge = form.get("charge", "")
    try:
        reason = Reason(form.get("reason", ""))
    except ValueError:
        raise InputError("choose a reason from the list", where="reason",
                         allowed=", ".join(r.value for r in Reason)) from None  # fmt: skip
    answers = {k[7:]: v.strip() for k, v in form.items() if k.startswith("answer-") and v.strip()}
    kind = form.get("charge_kind", "")
    if charge and kind not in {k.value for k in ChargeKind}:
        raise InputError("say what the charge was for", where="charge_kind",
                         allowed=", ".join(k.value for k in ChargeKind))  # fmt: skip
    facts = {"charge": {"kind": kind}} if charge else {}
    key = form_key(form, "case")
    case_id = f"case-{key.rsplit('-', 1)[1][:16]}"
    web.app.bus.handle(c.OpenCase(
        who.tenant_id, key, case_id, who.customer_id,
        Subject.charge if charge else Subject.account, charge or who.customer_id, reason,
        web.app.clock.now(), f"customer:{who.customer_id}", information=answers, facts=facts,
        payment_id=form.get("payment") or None,
    ))  # fmt: skip
    return RedirectResponse(f"/portal/cases/{case_id}", status_code=303)


@router.get("/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, who: Customer) -> Response:
    web = web_of(request)
    view = case_view(web.app.bus, reads_of(request), who.tenant_id, case_id, who.customer_id)
    allowed = set(allowed_events(view.case.state))
    can_appeal = view.rules.appeal_allowed and view.case.state in _CLOSED_FOR_APPEAL
    return web.page(
        request, "portal/case.html", who=who, view=view, allowed=allowed, can_appeal=can_appeal,
        nonce=secrets.token_hex(12),
    )  # fmt: skip


def _step(request: Request, who: Principal, case_id: str, form: dict[str, str], name: str,
          kind: type[CaseStep]) -> Response:  # fmt: skip
    web = web_of(request)
    case_view(web.app.bus, reads_of(request), who.tenant_id, case_id, who.customer_id)
    actor, key = f"customer:{who.customer_id}", form_key(form, name)
    now = web.app.clock.now()
    web.app.bus.handle(kind(who.tenant_id, key, case_id, now, actor, form.get("reason", "")))
    return RedirectResponse(f"/portal/cases/{case_id}", status_code=303)


@router.post("/{case_id}/accept")
def accept(request: Request, case_id: str, who: Customer, form: Form) -> Response:
    return _step(request, who, case_id, form, "accept", c.AcceptSettlement)


@router.post("/{case_id}/appeal")
def appeal(request: Request, case_id: str, who: Customer, form: Form) -> Response:
    return _step(request, who, case_id, form, "appeal", c.AppealCase)


@router.post("/{case_id}/withdraw")
def withdraw(request: Request, case_id: str, who: Customer, form: Form) -> Response:
    return _step(request, who, case_id, form, "withdraw", c.WithdrawCase)


@router.post("/{case_id}/answer")
def answer(request: Request, case_id: str, who: Customer, form: Form) -> Response:
    web = web_of(request)
    case_view(web.app.bus, reads_of(request), who.tenant_id, case_id, who.customer_id)
    answers = {k[7:]: v.strip() for k, v in form.items() if k.startswith("answer-") and v.strip()}
    web.app.bus.handle(c.ProvideInformation(
        who.tenant_id, form_key(form, "answer"), case_id, web.app.clock.now(),
        f"customer:{who.customer_id}", information=answers,
    ))  # fmt: skip
    return RedirectResponse(f"/portal/cases/{case_id}", status_code=303)
