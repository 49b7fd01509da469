"""``/v1/reports``: the tenant's ledger for finance: every account's balance, and the
journal (double-entry, each line in the commodity's smallest unit), a page at a time."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from refundable.entrypoints.api.auth import Reader
from refundable.entrypoints.api.models import AUTH_ERRORS
from refundable.entrypoints.api.routes.common import Listing, ListOf, State, envelope
from refundable.ledger.entries import JournalEntry

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class AccountBalance(BaseModel):
    account: str
    kind: str
    owner: str | None
    commodity: str
    amount: str


class BalancesReport(BaseModel):
    object: Literal["balances"] = "balances"
    data: list[AccountBalance]


class LineOut(BaseModel):
    account: str
    amount_minor: int
    lot_id: str | None


class EntryOut(BaseModel):
    object: Literal["journal_entry"] = "journal_entry"
    id: str
    kind: str
    effective_at: str
    memo: str
    ref: str | None
    reverses: str | None
    lines: list[LineOut]


def entry_out(e: JournalEntry) -> EntryOut:
    return EntryOut(
        id=e.entry_id,
        kind=e.kind.value,
        effective_at=e.effective_at.isoformat(),
        memo=e.memo,
        ref=e.ref,
        reverses=e.reverses,
        lines=[
            LineOut(account=ln.account.code, amount_minor=ln.amount, lot_id=ln.lot_id)
            for ln in e.lines
        ],
    )


@router.get("/balances", response_model=BalancesReport, responses=AUTH_ERRORS)
async def balances(who: Reader, state: State) -> Any:
    """Every account of the tenant with its balance on its normal side."""
    found = await run_in_threadpool(state.app.queries.balances, who.tenant_id)
    return BalancesReport(
        data=[
            AccountBalance(
                account=b.account.code,
                kind=b.account.kind.name,
                owner=b.account.owner,
                commodity=b.account.commodity,
                amount=str(b.amount),
            )
            for b in found
        ]
    )


@router.get("/journal", response_model=ListOf[EntryOut], responses=AUTH_ERRORS)
async def journal(request: Request, who: Reader, state: State, page: Listing) -> Any:
    """The journal in effective order (``starting_after`` an entry id)."""
    found = await run_in_threadpool(
        state.app.queries.journal_page, who.tenant_id, page.starting_after, page.limit
    )
    return envelope(found, entry_out, request.url.path)
