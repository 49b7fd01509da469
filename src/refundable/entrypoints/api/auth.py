"""Who may call what: every ``/v1`` route depends on :func:`requires` with the least role it
needs; the principal's tenant is the only tenant a route ever reads or writes (ADR 0058).

A role check is ONE dependency, itself the bearer security scheme (so the OpenAPI document
names it), instead of a chain of state, credentials and role dependencies: FastAPI resolves a
dependency tree per request, and each level cost more than the check (ADR 0068).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from refundable.core.errors import Forbidden
from refundable.entrypoints.api.state import ApiState, api_state
from refundable.service.access import Principal, Role

KEY_FORMAT = "An API key: rk_<key id>.<secret>"


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


class RoleBearer(HTTPBearer):
    """The bearer scheme of the document, and the check that the key's role suffices."""

    def __init__(self, role: Role) -> None:
        super().__init__(scheme_name="HTTPBearer", description=KEY_FORMAT, auto_error=False)
        self.role = role

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        found = await principal_of(request, api_state(request))
        if not found.role.allows(self.role):
            raise Forbidden(
                f"a key with role {found.role.value} may not do this",
                where="header Authorization",
                allowed=f"a key with role {self.role.value} or higher",
            )
        return found


def requires(role: Role) -> Callable[..., Awaitable[Principal]]:
    return RoleBearer(role)


Reader = Annotated[Principal, Depends(requires(Role.read_only))]
Agent = Annotated[Principal, Depends(requires(Role.agent))]
Admin = Annotated[Principal, Depends(requires(Role.admin))]
