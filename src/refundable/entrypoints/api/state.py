"""What the routes share: the wired service, the access and idempotency stores, the previewer.

Built once by ``create_app`` and kept on ``app.state.api``; routes reach it through the
:func:`api_state` dependency, never through globals.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from refundable.bootstrap import App
from refundable.config import Settings
from refundable.core.errors import Unauthenticated
from refundable.entrypoints.api.metrics import Metrics, Snapshot
from refundable.service.access import ApiKeys, Principal, authenticate
from refundable.service.idempotency import IdempotencyStore
from refundable.service.preview import Previewer
from refundable.service.resources import ResourceQueries

AUTH_CACHE_SECONDS = 5.0
_LOG = logging.getLogger("refundable.auth")
REFRESH_THREAD = "api-key-refresh"
_AUTH_CACHE_MAX = 10_000


@dataclass
class ApiState:
    app: App
    settings: Settings
    keys: ApiKeys
    idempotency: IdempotencyStore
    previewer: Previewer
    metrics: Metrics
    resources: ResourceQueries
    ready: bool = True
    case_gauges: Snapshot | None = None  # refreshed by `housekeeping`
    _seen: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _refreshing: set[str] = field(default_factory=set)

    def remembered(self, presented: str) -> Principal | None:
        """The principal of a key checked in the last ``AUTH_CACHE_SECONDS``, else None.

        Refresh ahead (issue 11): past half its life a remembered key is checked again by ONE
        background thread while it keeps being answered from memory, so a busy key never
        expires under load. Before, every request arriving after the expiry went to the store
        at once (16-32 per worker), and on PostgreSQL each opened a pool connection of its
        own: preview's p99 jumped to 0.1-1 s every five seconds. The hard expiry is unchanged,
        so a revocation still takes effect within ``AUTH_CACHE_SECONDS``."""
        seen = self._seen.get(presented)
        if seen is None:
            return None
        left = seen[1] - time.monotonic()
        if left <= 0:
            return None
        if left < AUTH_CACHE_SECONDS / 2:
            self._refresh_in_background(presented)
        return seen[0]

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
        self._remember(presented, found, now)
        return found

    def _remember(self, presented: str, found: Principal, now: float) -> None:
        with self._lock:
            if len(self._seen) >= _AUTH_CACHE_MAX:
                self._seen.clear()
            self._seen[presented] = (found, now + AUTH_CACHE_SECONDS)

    def _refresh_in_background(self, presented: str) -> None:
        with self._lock:
            if presented in self._refreshing:
                return
            self._refreshing.add(presented)
        refresh = threading.Thread(
            target=self._refresh, args=(presented,), name=REFRESH_THREAD, daemon=True
        )
        refresh.start()

    def _refresh(self, presented: str) -> None:
        """Check a remembered key again: still valid, remembered afresh; revoked or unknown
        now, forgotten at once; the store failing, left to expire as it would have."""
        try:
            now = time.monotonic()
            found = authenticate(self.keys, presented)
            if found is None:
                with self._lock:
                    self._seen.pop(presented, None)
            else:
                self._remember(presented, found, now)
        except Exception:  # the entry expires on time, and the next request asks the store
            _LOG.warning("refreshing a remembered API key failed", exc_info=True)
        finally:
            with self._lock:
                self._refreshing.discard(presented)


def housekeeping(state: ApiState) -> dict[str, int]:
    """The API process's own periodic work, run by the serve loop after each pass of due
    work: purge idempotency records past their retention, and count the open cases' deadlines
    for ``/metrics`` (ADR 0068)."""
    from refundable.service.idempotency import purge_expired

    purged = purge_expired(state.idempotency, state.app.clock.now())
    if state.case_gauges is not None:
        state.case_gauges.refresh()
    return {"idempotency_purged": purged}


def stores_for(app: App) -> tuple[ApiKeys, IdempotencyStore, ResourceQueries]:
    """The SQL stores on the app's engine, or in-memory ones for the ``memory:`` store."""
    if app.engine is None:
        from refundable.adapters.memory.access import MemoryApiKeys, MemoryIdempotency

        return MemoryApiKeys(), MemoryIdempotency(), app.resources
    from refundable.adapters.db.repository_access import SqlApiKeys, SqlIdempotency

    engine = app.engine
    return SqlApiKeys(engine), SqlIdempotency(engine), app.resources


def api_state(request: Request) -> ApiState:
    found: ApiState = request.app.state.api
    return found


async def state_dependency(request: Request) -> ApiState:
    """``api_state`` as a dependency: async, so FastAPI calls it on the event loop instead of
    sending it to a worker thread (a thread hop per request costs more than the lookup)."""
    return api_state(request)
