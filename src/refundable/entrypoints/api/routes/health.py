"""Liveness and readiness, for process supervisors and load balancers (no key needed)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import StoreUnavailable
from refundable.entrypoints.api.models import problems
from refundable.entrypoints.api.state import ApiState, api_state

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "ready"]


@router.get("/health", response_model=Health)
async def health() -> Health:
    """The process is up and answering (says nothing about the store)."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses=problems(503))
async def ready(request: Request) -> Health:
    """The service has started (migrated, seeded) and its store answers."""
    state = api_state(request)
    if not state.ready:
        raise StoreUnavailable("the service is still starting", where="ready")
    await run_in_threadpool(_ping, state)
    return Health(status="ready")


def _ping(state: ApiState) -> None:
    engine = state.app.engine
    if engine is None:
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as err:  # any driver error: the store does not answer
        raise StoreUnavailable("the store does not answer", where="database") from err
