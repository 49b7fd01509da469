"""``/v1/test_clocks``: simulate a tenant's time (Stripe's test clocks): create one frozen
at an instant, read it, advance it (every action due by then runs, in due order)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import NotFound
from refundable.entrypoints.api.auth import Admin, Reader
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS, problems
from refundable.entrypoints.api.routes.common import Body, Id, Instant, State, command_key, run
from refundable.scheduling.model import TestClock
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

router = APIRouter(prefix="/v1/test_clocks", tags=["test clocks"], route_class=IdempotentRoute)


class ClockIn(Body):
    id: Id
    frozen_time: Instant


class AdvanceIn(Body):
    frozen_time: Instant


class ClockOut(BaseModel):
    object: Literal["test_clock"] = "test_clock"
    id: str
    frozen_time: str
    created: str
    ran: int = 0
    failed: int = 0


async def _clock(state: State, tenant: str, clock_id: str) -> TestClock:
    found = await run_in_threadpool(state.app.work.test_clock, tenant)
    if found is None or found.clock_id != clock_id:
        raise NotFound(f"no test clock {clock_id!r}", where="clock_id")
    return found


def _out(clock: TestClock, ran: int = 0, failed: int = 0) -> ClockOut:
    return ClockOut(
        id=clock.clock_id,
        frozen_time=clock.frozen_at.isoformat(),
        created=clock.created_at.isoformat(),
        ran=ran,
        failed=failed,
    )


@router.post("", status_code=201, response_model=ClockOut, responses=WRITE_ERRORS)
async def create_clock(body: ClockIn, request: Request, who: Admin, state: State) -> Any:
    """Put the tenant on a test clock (one per tenant): its due work then runs only when
    the clock is advanced."""
    await run(
        state, c.CreateTestClock(who.tenant_id, command_key(request), body.id, body.frozen_time)
    )
    return _out(await _clock(state, who.tenant_id, body.id))


@router.get("/{clock_id}", response_model=ClockOut, responses={**AUTH_ERRORS, **problems(404)})
async def get_clock(clock_id: str, who: Reader, state: State) -> Any:
    return _out(await _clock(state, who.tenant_id, clock_id))


@router.post("/{clock_id}/advance", response_model=ClockOut, responses=WRITE_ERRORS)
async def advance(clock_id: str, body: AdvanceIn, who: Admin, state: State) -> Any:
    """Move the clock forward (at most two years at once), running every action due by
    then, each at its own due instant."""
    app = state.app
    report = await run_in_threadpool(
        advance_test_clock, app.bus, app.work, who.tenant_id, clock_id, body.frozen_time
    )
    clock = await _clock(state, who.tenant_id, clock_id)
    return _out(clock, report.ran, report.failed)
