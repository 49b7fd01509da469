"""The console's refund cases: the queue by next deadline, one case with its decision and
one-click actions, and the reports page (decisions per month, deadlines kept and missed).

Actions are the case commands, with the signed-in agent as the actor; the buttons offered
are the events the case's state allows (``cases.transitions.allowed_events``) and the policy
permits (appeal stages), and only to agents and admins. A refused action comes back as the
command's own error. Each form carries a key made when the page was shown, so a double click
acts once.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from refundable.cases.transitions import allowed_events
from refundable.core.errors import InputError, InvariantBroken
from refundable.core.money import Money
from refundable.entrypoints.web.charts import bars
from refundable.entrypoints.web.pages import (
    Principal,
    checked_form,
    form_key,
    require,
    staff,
    web_of,
)
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c
from refundable.service.case_queries import CaseQueries
from refundable.service.case_reads import (
    FIGURE_MONTHS,
    QUEUE_SIZE,
    at_risk,
    case_view,
    check_override,
    figures,
)
from refundable.service.logins import Role

router = APIRouter(prefix="/console")
Staff = Annotated[Principal, Depends(staff)]
Form = Annotated[dict[str, str], Depends(checked_form)]


def reads_of(request: Request) -> CaseQueries:
    found = web_of(request).app.cases_read
    if found is None:
        raise InvariantBroken("this app was wired without the cases' read side")
    return found


@router.get("/cases", response_class=HTMLResponse)
def case_queue(request: Request, who: Staff) -> Response:
    web = web_of(request)
    now = web.app.clock.now()
    cases, total = reads_of(request).queue(who.tenant_id, QUEUE_SIZE)
    risky = {x.case_id for x in cases if at_risk(x, now)}
    return web.page(request, "console/queue.html", who=who, cases=cases, total=total,
                    risky=risky, now=now)  # fmt: skip


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, who: Staff) -> Response:
    web = web_of(request)
    view = case_view(web.app.bus, reads_of(request), who.tenant_id, case_id)
    allowed = set(allowed_events(view.case.state))
    return web.page(
        request, "console/case.html", who=who, view=view, allowed=allowed,
        can_act=who.role.allows(Role.agent), nonce=secrets.token_hex(12),
        now=web.app.clock.now(), remedies=[r.value for r in Remedy],
        currency=view.body.get("currency") or view.policy.document.currency,
    )  # fmt: skip


def _act(request: Request, who: Principal, case_id: str, command: c.Command) -> Response:
    require(who, Role.agent)
    web_of(request).app.bus.handle(command)
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303)


def _agent(who: Principal) -> str:
    return f"agent:{who.login.email}"


@router.post("/cases/{case_id}/judge")
def judge(request: Request, case_id: str, who: Staff, form: Form) -> Response:
    """Approve or deny a case in review, weighing the factors ticked on the page."""
    require(who, Role.agent)
    now = web_of(request).app.clock.now()
    outcome = Outcome.approve if form.get("outcome") == "approve" else Outcome.deny
    factors = tuple(v for k, v in sorted(form.items()) if k.startswith("factor-"))
    cmd = c.JudgeCase(who.tenant_id, form_key(form, "judge"), case_id, outcome, now,
                      _agent(who), factors=factors, note=form.get("note", ""))  # fmt: skip
    return _act(request, who, case_id, cmd)


@router.post("/cases/{case_id}/uphold")
def uphold(request: Request, case_id: str, who: Staff, form: Form) -> Response:
    now = web_of(request).app.clock.now()
    cmd = c.UpholdDecision(who.tenant_id, form_key(form, "uphold"), case_id, now, _agent(who),
                           reason=form.get("reason", ""))  # fmt: skip
    return _act(request, who, case_id, cmd)


@router.post("/cases/{case_id}/escalate")
def escalate(request: Request, case_id: str, who: Staff, form: Form) -> Response:
    now = web_of(request).app.clock.now()
    cmd = c.EscalateCase(who.tenant_id, form_key(form, "escalate"), case_id, now, _agent(who),
                         reason=form.get("reason", ""))  # fmt: skip
    return _act(request, who, case_id, cmd)


# --- override and withdraw: shown, then confirmed (ADR 0068) ------------------------------
# Both change what the customer gets, so the first POST only shows what would happen (the
# decision now, and after) on a confirmation page; the confirming POST carries the same fields
# and ``confirm=yes`` and sends the command. The nonce of the case page makes it act once.


def _override_of(
    who: Principal, case_id: str, form: dict[str, str], now: datetime
) -> c.OverrideDecision:
    outcome = {"approve": Outcome.approve, "deny": Outcome.deny}.get(form.get("outcome", ""))
    if outcome is None:
        raise InputError("choose approve or deny", where="outcome", allowed="approve, deny")
    reason = form.get("reason", "").strip()
    if not reason:
        raise InputError("an override needs a reason", where="reason",
                         allowed="why the policy's decision is replaced")  # fmt: skip
    remedy = Remedy(form["remedy"]) if form.get("remedy") in set(Remedy) else None
    amount = None
    if form.get("amount", "").strip():
        amount = Money.of(form["amount"].strip(), form.get("currency", ""), "amount")
    return c.OverrideDecision(who.tenant_id, form_key(form, "override"), case_id, outcome,
                              reason, now, _agent(who), remedy, amount,
                              form.get("payment") or None)  # fmt: skip


def _confirm(
    request: Request, who: Principal, case_id: str, form: dict[str, str], command: c.Command
) -> Response:
    """The confirmation page, or (``confirm=yes``) the command itself."""
    require(who, Role.agent)
    if form.get("confirm") == "yes":
        return _act(request, who, case_id, command)
    web = web_of(request)
    view = case_view(web.app.bus, reads_of(request), who.tenant_id, case_id)
    fields = {k: v for k, v in form.items() if k != "confirm"}
    return web.page(request, "console/confirm_case.html", who=who, view=view, command=command,
                    fields=fields, action=request.url.path)  # fmt: skip


@router.post("/cases/{case_id}/override")
def override(request: Request, case_id: str, who: Staff, form: Form) -> Response:
    """Replace the decision (approve or deny, with a reason; the original is kept)."""
    require(who, Role.agent)
    web = web_of(request)
    command = _override_of(who, case_id, form, web.app.clock.now())
    case = reads_of(request).case(who.tenant_id, case_id)
    if case is not None:  # an impossible amount is refused here, not after a confirmation
        check_override(web.app.bus, web.app.queries, case, command)
    return _confirm(request, who, case_id, form, command)


@router.post("/cases/{case_id}/withdraw")
def withdraw(request: Request, case_id: str, who: Staff, form: Form) -> Response:
    """Record that the customer withdrew the case (told to an agent)."""
    require(who, Role.agent)
    now = web_of(request).app.clock.now()
    cmd = c.WithdrawCase(who.tenant_id, form_key(form, "withdraw"), case_id, now, _agent(who),
                         reason=form.get("reason", ""))  # fmt: skip
    return _confirm(request, who, case_id, form, cmd)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, who: Staff) -> Response:
    web = web_of(request)
    f = figures(reads_of(request), who.tenant_id, web.app.clock.now(),
                ZoneInfo(who.tenant.timezone))  # fmt: skip
    charts = {
        "Decisions by outcome": bars(f.months, f.outcomes),
        "Decisions by remedy": bars(f.months, f.remedies),
        "Deadlines kept and missed": bars(
            f.months, {m: {"kept": f.kept[m], "missed": f.missed[m]} for m in f.months}
        ),
    }
    return web.page(request, "console/reports.html", who=who, charts=charts, figures=f,
                    months=FIGURE_MONTHS)  # fmt: skip
