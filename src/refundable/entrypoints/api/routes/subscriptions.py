"""``/v1/plans`` and ``/v1/subscriptions``: the subscription lifecycle over HTTP (ADR 0046's
commands): define plans, subscribe or start a trial, change plan, cancel and undo, terminate,
reactivate, record renewal payments and failures, suspend; read a subscription with both
timelines, its history, a customer's subscriptions and ``can_use``. Every transition is the
policy's (the handlers ask the catalog); a refused one is 409 ``transition_refused``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.billing.events import CancelMode
from refundable.billing.plans import Cycle
from refundable.billing.subscription import BillingState
from refundable.core.errors import NotFound
from refundable.core.methods import Method
from refundable.entrypoints.api.auth import Admin, Agent, Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS, problems
from refundable.entrypoints.api.routes.common import (
    Amount,
    Body,
    Currency,
    Id,
    Instant,
    Listing,
    ListOf,
    ReceiptOut,
    State,
    Text,
    When,
    command_key,
    envelope,
    instant,
    money,
    page_in_process,
    receipt,
    run,
)
from refundable.service import commands as c
from refundable.service.subscription_queries import as_data

router = APIRouter(tags=["subscriptions"], route_class=IdempotentRoute)
READ_ERRORS = {**AUTH_ERRORS, **problems(404)}
SUB = "/v1/subscriptions/{subscription_id}"


class PlanIn(Body):
    id: Id
    tier: int = Field(ge=0, le=1000)
    cycle: Literal["monthly", "annual"]
    price: Amount
    currency: Currency
    features: list[Id] = Field([], max_length=50)


class SubscribeIn(Body):
    id: Id
    customer: Id
    plan: Id
    trial_days: int | None = Field(None, ge=1, le=366)
    at: When = None


class PlanChangeIn(Body):
    plan: Id
    at: When = None


class CancelIn(Body):
    mode: CancelMode = CancelMode.at_period_end
    notice_at: Instant | None = None
    at: When = None


class AtIn(Body):
    at: When = None


class TerminateIn(Body):
    reason: Text = Field(min_length=1)
    at: When = None


class ReactivateIn(PlanChangeIn):
    new_subscription_id: Id | None = None


class RenewalIn(Body):
    payment_id: Id
    amount: Amount
    currency: Currency
    method: Method
    provider: Id | None = None
    at: When = None


class FailureIn(Body):
    reason: Text = ""
    at: When = None


class SubscriptionOut(BaseModel):
    object: Literal["subscription"] = "subscription"
    id: str
    customer: str
    state: str
    created_at: str
    detail: dict[str, Any] = Field(description="Plan, access timeline, billing timeline")


class EventOut(BaseModel):
    seq: int
    event: str
    at: str
    actor: str
    clauses: list[str]
    state: str
    detail: str


class EntitlementOut(BaseModel):
    object: Literal["entitlement"] = "entitlement"
    allowed: bool
    reason: str
    subscription: str | None


async def _sub(state: State, tenant: str, sid: str) -> SubscriptionOut:
    found = await run_in_threadpool(state.app.subscriptions.subscription, tenant, sid)
    if found is None:
        raise NotFound(f"no subscription {sid!r}", where="subscription_id")
    return _out(found)


def _out(found: dict[str, Any]) -> SubscriptionOut:
    return SubscriptionOut(
        id=found["subscription_id"],
        customer=found["customer_id"],
        state=found["state"],
        created_at=found["created_at"],
        detail=found,
    )


@router.post("/v1/plans", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS)
async def define_plan(body: PlanIn, request: Request, who: Admin, state: State) -> Any:
    """A plan the tenant sells (fixed once defined: a new price is a new plan id)."""
    return receipt(
        await run(
            state,
            c.DefinePlan(
                who.tenant_id,
                command_key(request),
                body.id,
                body.tier,
                Cycle[body.cycle],
                money(body.price, body.currency, "price"),
                features=tuple(body.features),
            ),
        )
    )


@router.post(
    "/v1/subscriptions", status_code=201, response_model=SubscriptionOut, responses=WRITE_ERRORS
)
async def subscribe(body: SubscribeIn, request: Request, who: Agent, state: State) -> Any:
    """Subscribe a customer to a plan, or start a trial (``trial_days``)."""
    key, at = command_key(request), instant(state, body.at)
    if body.trial_days is None:
        command: c.Command = c.Subscribe(who.tenant_id, key, body.id, body.customer, body.plan, at)
    else:
        command = c.StartTrial(
            who.tenant_id, key, body.id, body.customer, body.plan, body.trial_days, at
        )
    await run(state, command)
    return await _sub(state, who.tenant_id, body.id)


@router.get("/v1/subscriptions", response_model=ListOf[SubscriptionOut], responses=AUTH_ERRORS)
async def list_subscriptions(
    request: Request,
    who: Reader,
    state: State,
    page: Listing,
    billing_state: Annotated[BillingState | None, Query(alias="state")] = None,
) -> Any:
    """The tenant's subscriptions by id (``state``: only those in that billing state, e.g.
    ``past_due``), read a page at a time from the store."""
    found = await run_in_threadpool(
        lambda: state.app.subscriptions.page(
            who.tenant_id, after=page.starting_after, limit=page.limit,
            state=billing_state.value if billing_state else None,
        )
    )  # fmt: skip
    return envelope(found, lambda r: _out(as_data(r)), request.url.path)


@router.get(SUB, response_model=SubscriptionOut, responses=READ_ERRORS)
async def get_subscription(subscription_id: str, who: Reader, state: State) -> Any:
    return await _sub(state, who.tenant_id, subscription_id)


@router.get(SUB + "/history", response_model=ListOf[EventOut], responses=READ_ERRORS)
async def history(
    subscription_id: str, request: Request, who: Reader, state: State, page: Listing
) -> Any:
    """Every event of the subscription, oldest first (append-only; ``starting_after`` a
    ``seq``)."""
    await _sub(state, who.tenant_id, subscription_id)
    events = await run_in_threadpool(
        state.app.subscriptions.history, who.tenant_id, subscription_id
    )
    return page_in_process(events, lambda e: str(e.seq), page, request.url.path, _event_out)


def _event_out(e: Any) -> EventOut:
    return EventOut(
        seq=e.seq,
        event=e.event,
        at=e.at.isoformat(),
        actor=e.actor,
        clauses=list(e.clauses),
        state=e.state,
        detail=e.detail,
    )


async def _known_customer(state: State, tenant: str, customer_id: str) -> list[Any]:
    """The customer's subscriptions; 404 for a customer the tenant does not know at all."""
    records: list[Any] = await run_in_threadpool(
        state.app.subscriptions.of_customer, tenant, customer_id
    )
    if (
        not records
        and await run_in_threadpool(state.resources.customer, tenant, customer_id) is None
    ):
        raise NotFound(f"no customer {customer_id!r}", where="customer_id")
    return records


@router.get(
    "/v1/customers/{customer_id}/subscriptions",
    response_model=ListOf[SubscriptionOut],
    responses=READ_ERRORS,
)
async def of_customer(
    customer_id: str, request: Request, who: Reader, state: State, page: Listing
) -> Any:
    """The customer's subscriptions, newest first (``starting_after`` a subscription id)."""
    records = await _known_customer(state, who.tenant_id, customer_id)
    found = page_in_process(records, lambda r: r.subscription_id, page, request.url.path,
                            lambda r: r.subscription_id)  # fmt: skip
    found["data"] = [await _sub(state, who.tenant_id, sid) for sid in found["data"]]
    return found


@router.get(
    "/v1/customers/{customer_id}/entitlements", response_model=EntitlementOut, responses=READ_ERRORS
)
async def can_use(
    customer_id: str,
    who: Reader,
    state: State,
    feature: str = Query(min_length=1, max_length=64),
    at: AwareDatetime | None = None,
) -> Any:
    """May the customer use ``feature`` at ``at`` (default now)? With the reason."""
    await _known_customer(state, who.tenant_id, customer_id)
    found = await run_in_threadpool(
        state.app.subscriptions.can_use, who.tenant_id, customer_id, feature, instant(state, at)
    )
    return EntitlementOut(
        allowed=found.allowed, reason=found.reason, subscription=found.subscription_id
    )


def _change(path: str, doc: str, build: Any, body_model: type[BaseModel]) -> None:
    """One lifecycle action: POST /v1/subscriptions/{id}/<path> → command → subscription."""

    async def action(
        subscription_id: str, body: Any, request: Request, who: Agent, state: State
    ) -> Any:
        at = instant(state, getattr(body, "at", None))
        await run(state, build(who.tenant_id, command_key(request), subscription_id, body, at))
        return await _sub(state, who.tenant_id, subscription_id)

    action.__annotations__["body"] = body_model
    action.__doc__ = doc
    router.add_api_route(
        SUB + path,
        action,
        methods=["POST"],
        response_model=SubscriptionOut,
        responses=WRITE_ERRORS,
        name=path.strip("/").replace("/", "_"),
    )


_change(
    "/upgrade",
    "Move to a higher plan now (the difference charged pro rata).",
    lambda t, k, s, b, at: c.UpgradePlan(t, k, s, b.plan, at),
    PlanChangeIn,
)
_change(
    "/downgrade",
    "Move to a lower plan at the end of the period.",
    lambda t, k, s, b, at: c.DowngradePlan(t, k, s, b.plan, at),
    PlanChangeIn,
)
_change(
    "/downgrade/withdraw",
    "Withdraw a pending downgrade.",
    lambda t, k, s, b, at: c.WithdrawDowngrade(t, k, s, at),
    AtIn,
)
_change(
    "/cancel",
    "Cancel (at period end, now, or in the cooling-off period).",
    lambda t, k, s, b, at: c.CancelSubscription(t, k, s, at, b.mode, b.notice_at),
    CancelIn,
)
_change(
    "/cancel/undo",
    "Undo a pending cancellation.",
    lambda t, k, s, b, at: c.UndoCancellation(t, k, s, at),
    AtIn,
)
_change(
    "/terminate",
    "End the subscription now for a reason the policy allows.",
    lambda t, k, s, b, at: c.TerminateSubscription(t, k, s, b.reason, at),
    TerminateIn,
)
_change(
    "/reactivate",
    "Reactivate an ended subscription on a plan (the policy's terms).",
    lambda t, k, s, b, at: c.ReactivateSubscription(t, k, s, b.plan, at, b.new_subscription_id),
    ReactivateIn,
)
_change(
    "/renewal_payments",
    "A renewal was paid.",
    lambda t, k, s, b, at: c.RecordRenewalPayment(
        t, k, s, b.payment_id, money(b.amount, b.currency), b.method, b.provider, at
    ),
    RenewalIn,
)
_change(
    "/payment_failures",
    "A renewal payment failed (dunning starts).",
    lambda t, k, s, b, at: c.RecordPaymentFailure(t, k, s, at, b.reason),
    FailureIn,
)
_change(
    "/suspend",
    "Suspend access for non-payment (the policy's dunning terms).",
    lambda t, k, s, b, at: c.SuspendSubscription(t, k, s, at),
    AtIn,
)
