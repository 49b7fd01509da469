"""Idempotency of API calls: the first response to a client's key, replayed to its retries.

The bus already makes every command idempotent by its own key (ADR 0027); this layer sits above
it and keeps what the client saw (status and body), as Stripe and the IETF
``Idempotency-Key`` draft describe (ADR 0058):

* a key not seen before is claimed, the call runs, its response is stored;
* the same key with the same payload replays the stored response;
* the same key with another payload is refused (422);
* the same key while the first call still runs is refused (409), unless the first holder has
  been silent past ``LEASE`` (it died): then the key is taken over;
* a stored response is kept at least ``RETENTION``; after that the key may be used afresh,
  and :func:`purge_expired` (run by the serve loop) deletes it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from refundable.core.errors import IdempotencyKeyReused, InputError, RequestInFlight

RETENTION = timedelta(hours=24)
PURGE_BATCH = 10_000  # records deleted per statement: bounds one transaction's locks
LEASE = timedelta(seconds=60)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Stored:
    fingerprint: str
    status: int | None
    body: str | None
    created_at: datetime
    done: bool


class IdempotencyStore(Protocol):
    def claim(self, tenant_id: str, key: str, fingerprint: str, at: datetime) -> Stored | None:
        """None when the key was claimed now; else what the key already holds."""
        ...

    def take_over(
        self, tenant_id: str, key: str, fingerprint: str, at: datetime, before: datetime
    ) -> bool: ...
    def finish(self, tenant_id: str, key: str, status: int, body: str, at: datetime) -> None: ...
    def release(self, tenant_id: str, key: str) -> None: ...
    def purge(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` records made before ``before``; how many were deleted."""
        ...


class Verdict(Enum):
    run = "run"
    replay = "replay"


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What "the same payload" means: the operation and its exact body."""
    digest = hashlib.sha256()
    for part in (method.encode(), b" ", path.encode(), b"\n", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise InputError(
            "the Idempotency-Key header is not a usable key",
            where="header Idempotency-Key",
            allowed=f"1-{MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID",
        )
    return key


def begin(
    store: IdempotencyStore, tenant_id: str, key: str, digest: str, now: datetime
) -> tuple[Verdict, Stored | None]:
    """Claim ``key`` for a call, or say why not: replay (the stored response) or an error."""
    found = store.claim(tenant_id, key, digest, now)
    if found is None:
        return Verdict.run, None
    expired = found.done and found.created_at < now - RETENTION
    abandoned = not found.done and found.created_at < now - LEASE
    if expired or abandoned:
        if store.take_over(tenant_id, key, digest, now, now - (RETENTION if expired else LEASE)):
            return Verdict.run, None
        raise _in_flight(key)
    if found.fingerprint != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with another request",
            where="header Idempotency-Key",
            allowed="the identical request to retry, or a new key for a new request",
        )
    if not found.done:
        raise _in_flight(key)
    return Verdict.replay, found


def _in_flight(key: str) -> RequestInFlight:
    return RequestInFlight(
        "a request with this Idempotency-Key is still being processed",
        where="header Idempotency-Key",
        allowed="retry after it has finished; its response will then be replayed",
    )


def purge_expired(
    store: IdempotencyStore, now: datetime, batch: int = PURGE_BATCH, max_batches: int = 100
) -> int:
    """Delete every record older than ``RETENTION`` (every tenant's), a batch at a time; how
    many. A record is kept at least ``RETENTION`` from when its key was first claimed."""
    total = 0
    for _ in range(max_batches):
        gone = store.purge(now - RETENTION, batch)
        total += gone
        if gone < batch:
            break
    return total
