"""What every resource route shares: list parameters and the list envelope, the command's
idempotency key and business instant, running a command off the event loop, and receipts.

Routes only translate (ADR 0059): request model → command (which validates itself), bus →
receipt → JSON; or query → read model → JSON. Nothing here decides anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, Query, Request
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from refundable.core import limits
from refundable.core.errors import InputError
from refundable.core.money import MINOR_UNITS, Money
from refundable.entrypoints.api.fresh import fresh_id
from refundable.entrypoints.api.state import ApiState, state_dependency
from refundable.service.commands import Command
from refundable.service.common import Receipt
from refundable.service.resources import MAX_PAGE, Page

T = TypeVar("T")
State = Annotated[ApiState, Depends(state_dependency)]
AMOUNT_ALLOWED = 'a decimal string such as "120.00" (never a JSON number: binary fractions)'


def _decimal_string(value: object) -> object:
    """An amount sent as a JSON number is refused in the preview's words, not pydantic's
    "Input should be a valid string"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "amount_not_string",
            'amounts are decimal strings, e.g. "120.00", not JSON numbers ({given})',
            {"given": str(value)[:40]},
        )
    return value


def _in_years(value: datetime) -> datetime:
    if not limits.MIN_YEAR <= value.year <= limits.MAX_YEAR:
        raise PydanticCustomError(
            "instant_out_of_range",
            "{given} is outside the years {low} to {high}",
            {"given": value.isoformat(), "low": limits.MIN_YEAR, "high": limits.MAX_YEAR},
        )
    return value


class Body(BaseModel):
    """Every request body: an unknown field is refused (422 naming it), never dropped: a
    misspelt ``at`` would otherwise record the money at now instead of the intended date."""

    model_config = ConfigDict(extra="forbid")


Id = Annotated[str, Field(pattern=limits.ID_PATTERN, max_length=limits.MAX_ID_LENGTH)]
Amount = Annotated[
    str,
    BeforeValidator(_decimal_string),
    Field(pattern=r"^[0-9]+(\.[0-9]+)?$", max_length=40, examples=["120.00"]),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["ZAR"])]
Text = Annotated[str, Field(max_length=limits.MAX_TEXT_LENGTH)]
Instant = Annotated[AwareDatetime, AfterValidator(_in_years)]
When = Annotated[
    Instant | None,
    Field(description="The business instant (ISO 8601 with an offset); default: now"),
]


class ListOf(BaseModel, Generic[T]):
    """Stripe's list object: ``data`` in id order, ``has_more`` when another page follows
    (ask for it with ``starting_after`` = the last id here)."""

    object: Literal["list"] = "list"
    url: str
    has_more: bool
    data: list[T]


def page_in_process(
    items: list[T],
    key: Callable[[T], str],
    params: ListParams,
    url: str,
    render: Callable[[T], Any],
) -> dict[str, Any]:
    """One page of a list the store returns whole: after ``starting_after``, ``limit`` long."""
    if params.starting_after is not None:
        ids = [key(i) for i in items]
        at = ids.index(params.starting_after) + 1 if params.starting_after in ids else len(ids)
        items = items[at:]
    return envelope(Page(items[: params.limit], len(items) > params.limit), render, url)


class ListParams(BaseModel):
    limit: int
    starting_after: str | None


async def list_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 10,
    starting_after: Annotated[
        str | None,
        Query(
            max_length=limits.MAX_STORED_ID_LENGTH, description="The last id of the previous page"
        ),
    ] = None,
) -> ListParams:
    return ListParams(limit=limit, starting_after=starting_after)


Listing = Annotated[ListParams, Depends(list_params)]


def envelope(page: Page[Any], render: Any, url: str) -> dict[str, Any]:
    """A page as a list object (``ListOf``)."""
    return {
        "object": "list",
        "url": url,
        "has_more": page.has_more,
        "data": [render(item) for item in page.items],
    }


def command_key(request: Request) -> str:
    """The command's own idempotency key: derived from the client's Idempotency-Key (so the
    bus dedupes a retry even past the HTTP record), else a fresh one."""
    given = request.headers.get("idempotency-key")
    if given is not None:
        import hashlib

        return "http:" + hashlib.sha256(given.encode()).hexdigest()[:40]
    return "http:" + fresh_id()


def instant(state: ApiState, given: datetime | None) -> datetime:
    return given if given is not None else state.app.clock.now()


def money(amount: str, currency: str, where: str = "amount") -> Money:
    """The body's amount and currency as Money, refused in the customer's terms (the field
    path, the currency's decimals, the range) before any command sees it."""
    field = f"body.{where}"
    if currency not in MINOR_UNITS:
        raise InputError(
            f"{currency} is not a currency we know",
            where="body.currency",
            allowed="an ISO 4217 code such as ZAR, USD or EUR",
        )
    try:
        found = Money.of(amount, currency, field)
    except InputError as error:
        raise InputError(error.message, where=field, allowed=error.allowed) from None
    digits = MINOR_UNITS[currency]
    if found.amount != found.amount.quantize(Decimal(1).scaleb(-digits)):
        raise InputError(
            f"{amount} has more decimals than {currency} allows ({digits})",
            where=field,
            allowed=f"at most {digits} decimals in {currency}",
        )
    zero_ok = where == "price"  # a free plan; any other amount moves money
    if found.amount >= limits.MAX_AMOUNT or not (zero_ok or found.is_positive):
        raise InputError(
            f"{amount} {currency} is out of range",
            where=field,
            allowed=f"{'0 or more' if zero_ok else 'more than 0'} and below "
            f"{limits.MAX_AMOUNT:,} {currency}",
        )
    return found


def show(m: Money) -> dict[str, str]:
    return {"amount": str(m.amount), "currency": m.currency}


async def run(state: ApiState, command: Command) -> Receipt:
    """Run a command off the event loop: on SQLite queued for the next group commit (ADR
    0072), elsewhere in the thread pool."""
    grouped = state.app.group_commit
    if grouped is None:
        return await run_in_threadpool(state.app.bus.handle, command)
    return await asyncio.wrap_future(grouped.submit(command))


class ReceiptOut(BaseModel):
    """What a command did: the entries it posted and its details (a replay says so)."""

    object: Literal["receipt"] = "receipt"
    command: str
    id: str | None
    entries: list[str]
    details: dict[str, str]
    replayed: bool


def receipt(r: Receipt) -> ReceiptOut:
    return ReceiptOut(
        command=r.command,
        id=r.ref,
        entries=list(r.entry_ids),
        details={str(k): str(v) for k, v in r.details.items()},
        replayed=r.replayed,
    )


class MoneyOut(BaseModel):
    amount: str
    currency: str


def money_out(m: Money) -> MoneyOut:
    return MoneyOut(amount=str(m.amount), currency=m.currency)
