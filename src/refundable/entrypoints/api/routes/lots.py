"""``/v1/credit_lots`` and ``/v1/usage_events``: buy credit lots, read them with their
expiry, send usage in batches, report a failed delivery (the policy decides reinstatement)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.core import limits
from refundable.core.errors import NotFound
from refundable.core.money import Money
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
    MoneyOut,
    ReceiptOut,
    State,
    Text,
    When,
    command_key,
    envelope,
    instant,
    money,
    money_out,
    receipt,
    run,
)
from refundable.ledger.accounts import CREDIT_UNIT
from refundable.ledger.lots import CreditLot, LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c

router = APIRouter(tags=["credits"], route_class=IdempotentRoute)
READ_ERRORS = {**AUTH_ERRORS, **problems(404)}


class LotIn(Body):
    id: Id
    customer: Id
    units: int = Field(ge=1, lt=limits.MAX_UNITS)
    price: Amount
    currency: Currency
    source: LotSource = LotSource.purchase
    paid_from: c.PaidFrom = c.PaidFrom.invoice
    priority: int = Field(0, ge=limits.MIN_PRIORITY, le=limits.MAX_PRIORITY)
    at: When = None


class LotOut(BaseModel):
    object: Literal["credit_lot"] = "credit_lot"
    id: str
    customer: str
    unit: str
    units: int
    remaining: int
    price: MoneyOut
    value_left: MoneyOut
    source: str
    status: str
    acquired_at: str
    valid_until: str
    priority: int


class UsageIn(Body):
    id: Id
    customer: Id
    units: int = Field(ge=1, lt=limits.MAX_UNITS)
    occurred_at: When = None


class UsageBatchIn(Body):
    events: list[UsageIn] = Field(min_length=1, max_length=limits.MAX_BATCH_EVENTS)
    partial: bool = Field(
        False,
        description="Return events that cannot be covered as "
        "rejected instead of refusing the whole batch",
    )


class FailureIn(Body):
    cause: Text = Field(min_length=1)
    at: When = None


class UsageOut(BaseModel):
    object: Literal["usage_event"] = "usage_event"
    id: str
    customer: str
    units: int
    occurred_at: str


def lot_out(lot: CreditLot) -> LotOut:
    return LotOut(
        id=lot.lot_id,
        customer=lot.customer_id,
        unit=lot.unit,
        units=lot.units,
        remaining=lot.remaining,
        price=money_out(Money.from_minor(lot.price_minor, lot.currency)),
        value_left=money_out(Money.from_minor(lot.value_left_minor, lot.currency)),
        source=lot.source.value,
        status=lot.status.value,
        acquired_at=lot.acquired_at.isoformat(),
        valid_until=lot.valid_until.isoformat(),
        priority=lot.priority,
    )


@router.post("/v1/credit_lots", status_code=201, response_model=LotOut, responses=WRITE_ERRORS)
async def buy_lot(body: LotIn, request: Request, who: Agent, state: State) -> Any:
    """Buy (or grant) a lot of message credits; how long it stays valid is the policy's."""
    await run(
        state,
        c.BuyCreditLot(
            who.tenant_id,
            command_key(request),
            body.id,
            body.customer,
            body.units,
            money(body.price, body.currency, "price"),
            body.source,
            instant(state, body.at),
            body.paid_from,
            body.priority,
        ),
    )
    return lot_out(await _lot(state, who.tenant_id, body.id))


@router.get("/v1/credit_lots", response_model=ListOf[LotOut], responses=AUTH_ERRORS)
async def list_lots(request: Request, who: Reader, state: State, page: Listing) -> Any:
    found = await run_in_threadpool(
        state.resources.lots, who.tenant_id, page.limit, page.starting_after
    )
    return envelope(found, lot_out, request.url.path)


@router.get("/v1/credit_lots/{lot_id}", response_model=LotOut, responses=READ_ERRORS)
async def get_lot(lot_id: str, who: Reader, state: State) -> Any:
    return lot_out(await _lot(state, who.tenant_id, lot_id))


async def _lot(state: State, tenant: str, lot_id: str) -> CreditLot:
    found = await run_in_threadpool(state.resources.lot, tenant, lot_id)
    if found is None:
        raise NotFound(f"no credit lot {lot_id!r}", where="lot_id")
    return found


@router.post("/v1/usage_events", response_model=ReceiptOut, responses=WRITE_ERRORS)
async def ingest_usage(body: UsageBatchIn, who: Agent, state: State) -> Any:
    """A batch of usage events (idempotent per event id), drawn from lots in policy order."""
    await _customers_known(state, who.tenant_id, body)
    now = state.app.clock.now()
    events = tuple(UsageEvent(e.id, e.customer, e.units, e.occurred_at or now) for e in body.events)
    return receipt(
        await run(
            state, c.IngestUsage(who.tenant_id, events, now, CREDIT_UNIT, partial=body.partial)
        )
    )


async def _customers_known(state: State, tenant: str, body: UsageBatchIn) -> None:
    """Usage of a customer the tenant has no record of is 404 naming them (ADR 0083), not
    "insufficient funds": there is nobody whose credits could cover it."""
    named = [e.customer for e in body.events]
    known = await run_in_threadpool(state.resources.known_customers, tenant, named)
    for i, customer in enumerate(named):
        if customer not in known:
            raise NotFound(
                f"no customer {customer!r} (event {body.events[i].id!r})",
                where=f"body.events.{i}.customer",
                allowed="a customer registered with POST /v1/customers, or named by a "
                "charge, payment, credit lot or subscription",
            )


@router.get("/v1/usage_events/{event_id}", response_model=UsageOut, responses=READ_ERRORS)
async def get_usage(event_id: str, who: Reader, state: State) -> Any:
    found = await run_in_threadpool(state.resources.usage_event, who.tenant_id, event_id)
    if found is None:
        raise NotFound(f"no usage event {event_id!r}", where="event_id")
    return UsageOut(
        id=found.event_id,
        customer=found.customer_id,
        units=found.units,
        occurred_at=found.occurred_at.isoformat(),
    )


@router.post(
    "/v1/usage_events/{event_id}/failure", response_model=ReceiptOut, responses=WRITE_ERRORS
)
async def fail_usage(
    event_id: str, body: FailureIn, request: Request, who: Agent, state: State
) -> Any:
    """The delivery failed; the policy decides by its cause whether the credits come back."""
    return receipt(
        await run(
            state,
            c.FailUsage(
                who.tenant_id, command_key(request), event_id, body.cause, instant(state, body.at)
            ),
        )
    )
