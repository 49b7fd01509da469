"""Money resources: charges, payments (and their refunds and chargebacks), wallet top-ups and
transfers, account credits and fees that carry out a recorded decision, and account holds.

A refund, credit or fee names the decision it carries out and moves exactly that decision's
amount; wallet transfer routes and holds are the policy's calls, never the request's."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import NotFound
from refundable.core.methods import Method
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
from refundable.ledger.holds import HoldResolution
from refundable.ledger.money_ops import FeeFrom
from refundable.ledger.payments import Payment
from refundable.service import commands as c
from refundable.service.resources import Charge

router = APIRouter(tags=["money"], route_class=IdempotentRoute)
READ_ERRORS = {**AUTH_ERRORS, **problems(404)}


class ChargeIn(Body):
    id: Id
    customer: Id
    amount: Amount
    currency: Currency
    at: When = None
    memo: Text = ""


class PaymentIn(Body):
    id: Id
    customer: Id
    amount: Amount
    currency: Currency
    method: Method
    provider: Id | None = None
    at: When = None


class TopUpIn(PaymentIn):
    mode: c.TopUpMode = c.TopUpMode.manual


class TransferIn(Body):
    id: Id
    from_customer: Id
    to_customer: Id
    amount: Amount
    currency: Currency
    on_termination: bool = False
    at: When = None


class CarryOutIn(Body):
    """Carry out a recorded decision (its amount, never one given here)."""

    id: Id
    decision: Id
    at: When = None
    reason: Text = ""


class RefundIn(CarryOutIn):
    payment: Id


class CreditIn(CarryOutIn):
    customer: Id


class FeeIn(CreditIn):
    charge_to: FeeFrom = FeeFrom.wallet


class ChargebackIn(Body):
    id: Id
    payment: Id
    amount: Amount
    currency: Currency
    at: When = None
    reason: Text = ""


class ReleaseIn(Body):
    resolution: HoldResolution
    at: When = None
    reason: Text = ""


class PaymentOut(BaseModel):
    object: Literal["payment"] = "payment"
    id: str
    customer: str
    amount: MoneyOut
    refunded: MoneyOut
    charged_back: MoneyOut
    refundable: MoneyOut
    method: str
    provider: str | None
    paid_at: str


def payment_out(p: Payment) -> PaymentOut:
    def m(minor: int) -> MoneyOut:
        return money_out(Money.from_minor(minor, p.currency))

    return PaymentOut(
        id=p.payment_id,
        customer=p.customer_id,
        amount=m(p.amount_minor),
        refunded=m(p.refunded_minor),
        charged_back=m(p.charged_back_minor),
        refundable=m(p.refundable_minor),
        method=p.method.value,
        provider=p.provider,
        paid_at=p.paid_at.isoformat(),
    )


class ChargeOut(BaseModel):
    object: Literal["charge"] = "charge"
    id: str
    customer: str
    amount: MoneyOut
    charged_at: str
    memo: str
    entry: str = Field(description="The ledger entry that records it")


def charge_out(x: Charge) -> ChargeOut:
    return ChargeOut(
        id=x.charge_id,
        customer=x.customer_id,
        amount=money_out(x.amount),
        charged_at=x.charged_at.isoformat(),
        memo=x.memo,
        entry=x.entry_id,
    )


def _key(request: Request) -> str:
    return command_key(request)


@router.post("/v1/charges", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS)
async def record_charge(body: ChargeIn, request: Request, who: Agent, state: State) -> Any:
    """Record what a customer was charged (it becomes what they owe)."""
    return receipt(
        await run(
            state,
            c.RecordCharge(
                who.tenant_id,
                _key(request),
                body.id,
                body.customer,
                money(body.amount, body.currency),
                instant(state, body.at),
                body.memo,
            ),
        )
    )


@router.get("/v1/charges", response_model=ListOf[ChargeOut], responses=AUTH_ERRORS)
async def list_charges(request: Request, who: Reader, state: State, page: Listing) -> Any:
    """The tenant's recorded charges by id (``starting_after`` a charge id)."""
    found = await run_in_threadpool(
        state.resources.charges, who.tenant_id, page.limit, page.starting_after
    )
    return envelope(found, charge_out, request.url.path)


@router.get("/v1/charges/{charge_id}", response_model=ChargeOut, responses=READ_ERRORS)
async def get_charge(charge_id: str, who: Reader, state: State) -> Any:
    found = await run_in_threadpool(state.resources.charge, who.tenant_id, charge_id)
    if found is None:
        raise NotFound(f"no charge {charge_id!r}", where="charge_id")
    return charge_out(found)


@router.post("/v1/payments", status_code=201, response_model=PaymentOut, responses=WRITE_ERRORS)
async def record_payment(body: PaymentIn, request: Request, who: Agent, state: State) -> Any:
    """Record a payment towards what the customer owes."""
    await run(
        state,
        c.RecordPayment(
            who.tenant_id,
            _key(request),
            body.id,
            body.customer,
            money(body.amount, body.currency),
            body.method,
            body.provider,
            instant(state, body.at),
        ),
    )
    return payment_out(await _payment(state, who.tenant_id, body.id))


@router.get("/v1/payments", response_model=ListOf[PaymentOut], responses=AUTH_ERRORS)
async def list_payments(request: Request, who: Reader, state: State, page: Listing) -> Any:
    found = await run_in_threadpool(
        state.resources.payments, who.tenant_id, page.limit, page.starting_after
    )
    return envelope(found, payment_out, request.url.path)


@router.get("/v1/payments/{payment_id}", response_model=PaymentOut, responses=READ_ERRORS)
async def get_payment(payment_id: str, who: Reader, state: State) -> Any:
    return payment_out(await _payment(state, who.tenant_id, payment_id))


async def _payment(state: State, tenant: str, payment_id: str) -> Payment:
    found = await run_in_threadpool(state.resources.payment, tenant, payment_id)
    if found is None:
        raise NotFound(f"no payment {payment_id!r}", where="payment_id")
    return found


@router.post(
    "/v1/wallet_top_ups", status_code=201, response_model=PaymentOut, responses=WRITE_ERRORS
)
async def top_up(body: TopUpIn, request: Request, who: Agent, state: State) -> Any:
    """Pay money into the customer's pre-paid wallet."""
    await run(
        state,
        c.TopUpWallet(
            who.tenant_id,
            _key(request),
            body.id,
            body.customer,
            money(body.amount, body.currency),
            body.method,
            body.provider,
            instant(state, body.at),
            body.mode,
        ),
    )
    return payment_out(await _payment(state, who.tenant_id, body.id))


@router.post("/v1/transfers", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS)
async def transfer(body: TransferIn, request: Request, who: Agent, state: State) -> Any:
    """Move wallet money between customers, on a route the policy allows."""
    return receipt(
        await run(
            state,
            c.TransferWallet(
                who.tenant_id,
                _key(request),
                body.id,
                body.from_customer,
                body.to_customer,
                money(body.amount, body.currency),
                instant(state, body.at),
                body.on_termination,
            ),
        )
    )


@router.post("/v1/refunds", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS)
async def pay_refund(body: RefundIn, request: Request, who: Agent, state: State) -> Any:
    """Pay back an approved refund decision's net amount to the payment's source."""
    return receipt(
        await run(
            state,
            c.PayRefund(
                who.tenant_id,
                _key(request),
                body.id,
                body.payment,
                body.decision,
                instant(state, body.at),
                body.reason,
            ),
        )
    )


@router.post(
    "/v1/account_credits", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS
)
async def grant_credit(body: CreditIn, request: Request, who: Agent, state: State) -> Any:
    """Credit an approved account-credit decision's net amount."""
    return receipt(
        await run(
            state,
            c.GrantAccountCredit(
                who.tenant_id,
                _key(request),
                body.id,
                body.customer,
                body.decision,
                instant(state, body.at),
                body.reason,
            ),
        )
    )


@router.post("/v1/fees", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS)
async def charge_fee(body: FeeIn, request: Request, who: Agent, state: State) -> Any:
    """Post the fees a decision set, from the wallet or onto what the customer owes."""
    return receipt(
        await run(
            state,
            c.ChargeFee(
                who.tenant_id,
                _key(request),
                body.id,
                body.customer,
                body.decision,
                instant(state, body.at),
                body.reason,
                body.charge_to,
            ),
        )
    )


@router.post("/v1/chargebacks", status_code=201, response_model=ReceiptOut, responses=WRITE_ERRORS)
async def chargeback(body: ChargebackIn, request: Request, who: Agent, state: State) -> Any:
    """The provider pulled a payment back; whether the account is held is the policy's call."""
    return receipt(
        await run(
            state,
            c.RecordChargeback(
                who.tenant_id,
                _key(request),
                body.id,
                body.payment,
                money(body.amount, body.currency),
                instant(state, body.at),
                body.reason,
            ),
        )
    )


@router.post("/v1/holds/{hold_id}/release", response_model=ReceiptOut, responses=WRITE_ERRORS)
async def release_hold(
    hold_id: str, body: ReleaseIn, request: Request, who: Agent, state: State
) -> Any:
    """End an account hold once its dispute is resolved."""
    return receipt(
        await run(
            state,
            c.ReleaseHold(
                who.tenant_id,
                _key(request),
                hold_id,
                instant(state, body.at),
                body.resolution,
                body.reason,
            ),
        )
    )
