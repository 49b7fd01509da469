"""``/v1/api_keys``: an admin manages the tenant's keys (a new key is shown once)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from refundable.entrypoints.api.auth import Admin
from refundable.entrypoints.api.idempotent import IdempotentRoute
from refundable.entrypoints.api.models import AUTH_ERRORS, WRITE_ERRORS
from refundable.entrypoints.api.routes.common import Body, Listing, ListOf, State, page_in_process
from refundable.service.access import ApiKey, Role, create_key, revoke_key

router = APIRouter(prefix="/v1/api_keys", tags=["api keys"], route_class=IdempotentRoute)


class KeyIn(Body):
    role: Role
    name: str = Field(min_length=1, max_length=200)


class KeyOut(BaseModel):
    object: Literal["api_key"] = "api_key"
    id: str
    role: str
    name: str
    created: str
    revoked: str | None
    secret: str | None = Field(None, description="The whole key: only in the creation answer")


def key_out(k: ApiKey, secret: str | None = None) -> KeyOut:
    return KeyOut(
        id=k.key_id,
        role=k.role.value,
        name=k.name,
        created=k.created_at.isoformat(),
        revoked=k.revoked_at.isoformat() if k.revoked_at else None,
        secret=secret,
    )


@router.post("", status_code=201, response_model=KeyOut, responses=WRITE_ERRORS)
async def create(body: KeyIn, who: Admin, state: State) -> Any:
    """A new key for this tenant; ``secret`` is the key, shown this once (only its hash is
    stored). A retry with the same Idempotency-Key replays this answer."""
    now = state.app.clock.now()
    full = await run_in_threadpool(create_key, state.keys, who.tenant_id, body.role, body.name, now)
    key_id = full.split(".")[0].removeprefix("rk_")
    stored = await run_in_threadpool(state.keys.find, key_id)
    assert stored is not None
    return key_out(stored, full)


@router.get("", response_model=ListOf[KeyOut], responses=AUTH_ERRORS)
async def list_keys(request: Request, who: Admin, state: State, page: Listing) -> Any:
    keys = await run_in_threadpool(state.keys.of_tenant, who.tenant_id)
    keys.sort(key=lambda k: k.key_id)
    return page_in_process(keys, lambda k: k.key_id, page, request.url.path, key_out)


@router.post("/{key_id}/revoke", response_model=KeyOut, responses=WRITE_ERRORS)
async def revoke(key_id: str, who: Admin, state: State) -> Any:
    """Revoke one of the tenant's keys (within 5 s everywhere); its record stays."""
    await run_in_threadpool(revoke_key, state.keys, who.tenant_id, key_id, state.app.clock.now())
    found = await run_in_threadpool(state.keys.find, key_id)
    assert found is not None
    return key_out(found)
