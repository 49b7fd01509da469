"""``/v1/cases``: refund cases over HTTP (issue 10's commands): intake, the customer's
answers, an agent's judgement or override, withdraw, appeal, escalate, uphold, accept a
settlement, mark paid; read a case (decision, clocks, state) and its events, list cases.

Every action is the policy's to allow (the handlers check it; a refused one is 409
``transition_refused``). ``actor`` is the API key that acted (``api:<key id>``)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.cases.codec import case_to_dict
from refundable.cases.model import Case, CaseEvent, Subject
from refundable.core import limits
from refundable.core.errors import ConfigurationError, NotFound
from refundable.entrypoints.api.auth import Agent, Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS, problems
from refundable.entrypoints.api.routes.common import (
    Amount,
    Body,
    Currency,
    Id,
    Listing,
    ListOf,
    State,
    Text,
    When,
    command_key,
    envelope,
    instant,
    money,
    page_in_process,
    run,
)
from refundable.policy.document import Outcome, Remedy
from refundable.policy.facts import Reason
from refundable.service import commands as c
from refundable.service.access import Principal
from refundable.service.case_queries import CaseQueries
from refundable.service.common import Receipt

router = APIRouter(tags=["cases"], route_class=IdempotentRoute)
READ_ERRORS = {**AUTH_ERRORS, **problems(404)}
CASE = "/v1/cases/{case_id}"
Answers = dict[str, Text]


class CaseIn(Body):
    id: Id
    customer: Id
    subject: Subject
    subject_id: Id
    reason: Reason
    information: Answers = Field({}, max_length=limits.MAX_LIST_ITEMS)
    facts: dict[str, Any] = Field({}, max_length=limits.MAX_LIST_ITEMS)
    payment: Id | None = None
    at: When = None


class InformationIn(Body):
    information: Answers = Field({}, max_length=limits.MAX_LIST_ITEMS)
    facts: dict[str, Any] = Field({}, max_length=limits.MAX_LIST_ITEMS)
    at: When = None


class JudgeIn(Body):
    outcome: Literal["approve", "deny"]
    factors: list[Text] = Field([], max_length=50)
    note: Text = ""
    payment: Id | None = None
    at: When = None


class OverrideIn(Body):
    outcome: Literal["approve", "deny"]
    reason: Text = Field(min_length=1)
    remedy: Remedy | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    payment: Id | None = None
    at: When = None


class StepIn(Body):
    reason: Text = ""
    at: When = None


class PaidIn(Body):
    refund_id: Id
    at: When = None


class CaseOut(BaseModel):
    object: Literal["case"] = "case"
    id: str
    customer: str
    state: str
    detail: dict[str, Any] = Field(description="The whole case: decision, clocks, answers")


class CaseEventOut(BaseModel):
    seq: int
    kind: str
    from_state: str
    to_state: str
    actor: str
    at: str
    data: dict[str, str]


def _read(state: State) -> CaseQueries:
    found = state.app.cases_read
    if found is None:
        raise ConfigurationError("this store has no case read side", where="cases")
    return found


def case_out(case: Case) -> CaseOut:
    return CaseOut(
        id=case.case_id,
        customer=case.customer_id,
        state=case.state.value,
        detail=case_to_dict(case),
    )


async def _case(state: State, tenant: str, case_id: str) -> Case:
    found = await run_in_threadpool(_read(state).case, tenant, case_id)
    if found is None:
        raise NotFound(f"no case {case_id!r}", where="case_id")
    return found


async def _after(state: State, tenant: str, case_id: str, done: Receipt) -> Case:
    """The case as the command left it: carried by its receipt (no second read), or read
    when the receipt is a replay of an earlier request (it carries nothing then)."""
    if isinstance(done.value, Case) and done.value.case_id == case_id:
        return done.value
    return await _case(state, tenant, case_id)


def actor(who: Principal) -> str:
    return f"api:{who.key_id}"


@router.post("/v1/cases", status_code=201, response_model=CaseOut, responses=WRITE_ERRORS)
async def open_case(body: CaseIn, request: Request, who: Agent, state: State) -> Any:
    """Open a refund case about a stored charge, payment, usage event or the account: it is
    decided under the policy in force at ``at``, and asks for what the policy needs."""
    done = await run(
        state,
        c.OpenCase(
            who.tenant_id,
            command_key(request),
            body.id,
            body.customer,
            body.subject,
            body.subject_id,
            body.reason,
            instant(state, body.at),
            actor(who),
            body.information,
            body.facts,
            body.payment,
        ),
    )
    found = await _after(state, who.tenant_id, body.id, done)
    state.metrics.cases_opened.labels(found.state.value).inc()
    return case_out(found)


@router.get("/v1/cases", response_model=ListOf[CaseOut], responses=AUTH_ERRORS)
async def list_cases(
    request: Request,
    who: Reader,
    state: State,
    page: Listing,
    customer: str | None = Query(None, max_length=limits.MAX_ID_LENGTH),
    open_only: bool = Query(False, alias="open"),
) -> Any:
    """The tenant's cases by id (``open=true``: only open ones; ``customer``: one's)."""
    found = await run_in_threadpool(
        lambda: _read(state).page(
            who.tenant_id, after=page.starting_after, limit=page.limit, customer_id=customer,
            open_only=open_only,
        )
    )  # fmt: skip
    return envelope(found, case_out, request.url.path)


@router.get(CASE, response_model=CaseOut, responses=READ_ERRORS)
async def get_case(case_id: str, who: Reader, state: State) -> Any:
    return case_out(await _case(state, who.tenant_id, case_id))


@router.get(CASE + "/events", response_model=ListOf[CaseEventOut], responses=READ_ERRORS)
async def case_events(
    case_id: str, request: Request, who: Reader, state: State, page: Listing
) -> Any:
    """The case's history, oldest first (append-only; ``starting_after`` a ``seq``)."""
    await _case(state, who.tenant_id, case_id)
    events = await run_in_threadpool(_read(state).events, who.tenant_id, case_id)
    return page_in_process(events, lambda e: str(e.seq), page, request.url.path, _event_out)


def _event_out(e: CaseEvent) -> CaseEventOut:
    return CaseEventOut(
        seq=e.seq,
        kind=e.kind.value,
        from_state=e.from_state.value,
        to_state=e.to_state.value,
        actor=e.actor,
        at=e.at.isoformat(),
        data=dict(e.data),
    )


def _action(path: str, doc: str, build: Any, body_model: type[BaseModel]) -> None:
    """One case action: POST /v1/cases/{id}/<path> → command → the case as it now stands."""

    async def action(case_id: str, body: Any, request: Request, who: Agent, state: State) -> Any:
        at = instant(state, getattr(body, "at", None))
        command = build(who.tenant_id, command_key(request), case_id, body, at, actor(who))
        done = await run(state, command)
        return case_out(await _after(state, who.tenant_id, case_id, done))

    action.__annotations__["body"] = body_model
    action.__doc__ = doc
    router.add_api_route(
        CASE + path,
        action,
        methods=["POST"],
        response_model=CaseOut,
        responses=WRITE_ERRORS,
        name="case_" + path.strip("/"),
    )


def _override(t: str, k: str, cid: str, b: OverrideIn, at: Any, who: str) -> c.Command:
    amount = None if b.amount is None else money(b.amount, b.currency or "", "amount")
    return c.OverrideDecision(
        t, k, cid, Outcome(b.outcome), b.reason, at, who, b.remedy, amount, b.payment
    )


_action(
    "/information",
    "The customer's answers to what the case asked; decided again.",
    lambda t, k, cid, b, at, who: c.ProvideInformation(t, k, cid, at, who, b.information, b.facts),
    InformationIn,
)
_action(
    "/judge",
    "An agent approves or denies a case waiting in review, naming the factors.",
    lambda t, k, cid, b, at, who: c.JudgeCase(
        t, k, cid, Outcome(b.outcome), at, who, tuple(b.factors), b.note, b.payment
    ),
    JudgeIn,
)
_action(
    "/override",
    "An agent replaces the decision, with a reason (the original is kept).",
    _override,
    OverrideIn,
)
for _name, _command, _doc in (
    ("withdraw", c.WithdrawCase, "The customer withdraws the case."),
    ("appeal", c.AppealCase, "Appeal the decision where the policy allows it."),
    ("escalate", c.EscalateCase, "Escalate the case (mediation, where the policy names it)."),
    ("uphold", c.UpholdDecision, "Uphold the decision after an appeal."),
    ("accept_settlement", c.AcceptSettlement, "The customer accepts the refund in settlement."),
):
    _action(
        "/" + _name,
        _doc,
        lambda t, k, cid, b, at, who, cmd=_command: cmd(t, k, cid, at, who, b.reason),
        StepIn,
    )
_action(
    "/paid",
    "The refund's payout settled.",
    lambda t, k, cid, b, at, who: c.RecordCasePaid(t, k, cid, b.refund_id, at, who),
    PaidIn,
)
