"""``/v1/customers``: register and read a tenant's customers, their balances, statement and
credit lots."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import InputError, NotFound
from refundable.entrypoints.api.auth import Agent, Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS, problems
from refundable.entrypoints.api.routes.common import (
    Body,
    Id,
    Listing,
    ListOf,
    State,
    command_key,
    envelope,
    run,
)
from refundable.entrypoints.api.routes.lots import LotOut, lot_out
from refundable.ledger.transfers import Party
from refundable.service import commands as c
from refundable.service.queries import StatementLine

router = APIRouter(prefix="/v1/customers", tags=["customers"], route_class=IdempotentRoute)
READ_ERRORS = {**AUTH_ERRORS, **problems(404)}


class CustomerIn(Body):
    id: Id
    reseller_id: Id | None = None
    group_id: Id | None = None
    approved_nonprofit: bool = False


class CustomerOut(BaseModel):
    object: Literal["customer"] = "customer"
    id: str
    reseller_id: str | None
    group_id: str | None
    approved_nonprofit: bool


class BalanceOut(BaseModel):
    account: str
    kind: str
    commodity: str
    amount: str


class BalancesOut(BaseModel):
    object: Literal["balances"] = "balances"
    customer: str
    data: list[BalanceOut]


class StatementLineOut(BaseModel):
    id: str = Field(
        description="The line's own id, <entry id>.<line number>: the cursor of the next page"
    )
    entry_id: str
    effective_at: str
    kind: str
    memo: str
    account: str
    amount: str
    balance: str | None


def customer_out(p: Party) -> CustomerOut:
    return CustomerOut(
        id=p.customer_id,
        reseller_id=p.reseller_id,
        group_id=p.group_id,
        approved_nonprofit=p.approved_nonprofit,
    )


async def require_customer(state: State, tenant: str, customer_id: str) -> Party:
    found = await run_in_threadpool(state.resources.customer, tenant, customer_id)
    if found is None:
        raise NotFound(f"no customer {customer_id!r}", where="customer_id")
    return found


@router.post("", status_code=201, response_model=CustomerOut, responses=WRITE_ERRORS)
async def create_customer(body: CustomerIn, request: Request, who: Agent, state: State) -> Any:
    """Register a customer (and their reseller or group links)."""
    await run(
        state,
        c.RegisterCustomer(
            who.tenant_id,
            command_key(request),
            body.id,
            body.reseller_id,
            body.group_id,
            body.approved_nonprofit,
        ),
    )
    return customer_out(await require_customer(state, who.tenant_id, body.id))


@router.get("", response_model=ListOf[CustomerOut], responses=AUTH_ERRORS)
async def list_customers(request: Request, who: Reader, state: State, page: Listing) -> Any:
    """The tenant's customers, by id."""
    found = await run_in_threadpool(
        state.resources.customers, who.tenant_id, page.limit, page.starting_after
    )
    return envelope(found, customer_out, request.url.path)


@router.get("/{customer_id}", response_model=CustomerOut, responses=READ_ERRORS)
async def get_customer(customer_id: str, who: Reader, state: State) -> Any:
    return customer_out(await require_customer(state, who.tenant_id, customer_id))


@router.get("/{customer_id}/balances", response_model=BalancesOut, responses=READ_ERRORS)
async def customer_balances(customer_id: str, who: Reader, state: State) -> Any:
    """Every account of the customer with its balance (wallet, receivable, credits...)."""
    await require_customer(state, who.tenant_id, customer_id)
    found = await run_in_threadpool(state.app.queries.balances, who.tenant_id, None, customer_id)
    data = [
        BalanceOut(
            account=b.account.code,
            kind=b.account.kind.name,
            commodity=b.account.commodity,
            amount=str(b.amount),
        )
        for b in found
    ]
    return BalancesOut(customer=customer_id, data=data)


@router.get(
    "/{customer_id}/statement", response_model=ListOf[StatementLineOut], responses=READ_ERRORS
)
async def customer_statement(
    customer_id: str, request: Request, who: Reader, state: State, page: Listing
) -> Any:
    """Movements on the customer's accounts, oldest first, with each account's running
    balance, and the refunds of their payments to the payment's source (``starting_after``
    a line's ``id``)."""
    await require_customer(state, who.tenant_id, customer_id)
    found = await run_in_threadpool(
        state.app.queries.statement_page,
        who.tenant_id,
        customer_id,
        page.starting_after,
        page.limit,
    )
    if found is None:
        raise InputError(
            f"no statement line {page.starting_after!r}",
            where="query.starting_after",
            allowed="the id of a line of this statement, <entry id>.<line number>",
        )
    return envelope(found, _line_out, request.url.path)


def _line_out(s: StatementLine) -> StatementLineOut:
    return StatementLineOut(
        id=s.line_id,
        entry_id=s.entry_id,
        effective_at=s.effective_at.isoformat(),
        kind=s.kind,
        memo=s.memo,
        account=s.account,
        amount=str(s.amount),
        balance=None if s.balance is None else str(s.balance),
    )


@router.get("/{customer_id}/credit_lots", response_model=ListOf[LotOut], responses=READ_ERRORS)
async def customer_lots(
    customer_id: str, request: Request, who: Reader, state: State, page: Listing
) -> Any:
    """The customer's credit lots, by id, with what is left and when each expires."""
    await require_customer(state, who.tenant_id, customer_id)
    found = await run_in_threadpool(
        state.resources.lots, who.tenant_id, page.limit, page.starting_after, customer_id
    )
    return envelope(found, lot_out, request.url.path)
