"""Who may call what: every ``/v1`` route depends on :func:`requires` with the least role it
needs; the principal's tenant is the only tenant a route ever reads or writes (ADR 0058)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import Forbidden
from refundable.entrypoints.api.state import ApiState, state_dependency
from refundable.service.access import Principal, Role

bearer = HTTPBearer(auto_error=False, description="An API key: rk_<key id>.<secret>")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
State = Annotated[ApiState, Depends(state_dependency)]


async def principal_of(request: Request, state: ApiState) -> Principal:
    """The request's principal (authenticated once per request, then kept on its state).
    A key seen in the last seconds is answered from memory, on the event loop; otherwise the
    store is asked off the loop."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else ""
    found = state.remembered(presented)
    if found is None:
        found = await run_in_threadpool(state.principal, presented)
    request.state.principal = found
    return found


def requires(role: Role) -> Callable[..., Awaitable[Principal]]:
    async def dependency(request: Request, state: State, _creds: Credentials) -> Principal:
        found = await principal_of(request, state)
        if not found.role.allows(role):
            raise Forbidden(
                f"a {found.role.value} key may not do this",
                where="header Authorization",
                allowed=f"a key with role {role.value} or higher",
            )
        return found

    return dependency


Reader = Annotated[Principal, Depends(requires(Role.read_only))]
Agent = Annotated[Principal, Depends(requires(Role.agent))]
Admin = Annotated[Principal, Depends(requires(Role.admin))]
