"""What the routes share: the wired service, the access and idempotency stores, the previewer.

Built once by ``create_app`` and kept on ``app.state.api``; routes reach it through the
:func:`api_state` dependency, never through globals.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from refundable.bootstrap import App
from refundable.config import Settings
from refundable.core.errors import Unauthenticated
from refundable.entrypoints.api.metrics import Metrics
from refundable.service.access import ApiKeys, Principal, authenticate
from refundable.service.idempotency import IdempotencyStore
from refundable.service.preview import Previewer

AUTH_CACHE_SECONDS = 5.0
_AUTH_CACHE_MAX = 10_000


@dataclass
class ApiState:
    app: App
    settings: Settings
    keys: ApiKeys
    idempotency: IdempotencyStore
    previewer: Previewer
    metrics: Metrics
    ready: bool = True
    _seen: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def principal(self, presented: str) -> Principal:
        """The principal of a presented key, remembered ``AUTH_CACHE_SECONDS`` (so a
        revocation takes effect within that time, ADR 0058); unknown keys are never cached."""
        now = time.monotonic()
        seen = self._seen.get(presented)
        if seen is not None and seen[1] > now:
            return seen[0]
        found = authenticate(self.keys, presented)
        if found is None:
            raise Unauthenticated(
                "the API key is missing, unknown or revoked",
                where="header Authorization",
                allowed="Authorization: Bearer rk_<key id>.<secret> (refundable api-keys create)",
            )
        with self._lock:
            if len(self._seen) >= _AUTH_CACHE_MAX:
                self._seen.clear()
            self._seen[presented] = (found, now + AUTH_CACHE_SECONDS)
        return found


def stores_for(app: App) -> tuple[ApiKeys, IdempotencyStore]:
    """The SQL stores on the app's engine, or in-memory ones for the ``memory:`` store."""
    if app.engine is None:
        from refundable.adapters.memory.access import MemoryApiKeys, MemoryIdempotency

        return MemoryApiKeys(), MemoryIdempotency()
    from refundable.adapters.db.repository_access import SqlApiKeys, SqlIdempotency

    return SqlApiKeys(app.engine), SqlIdempotency(app.engine)


def api_state(request: Request) -> ApiState:
    found: ApiState = request.app.state.api
    return found
