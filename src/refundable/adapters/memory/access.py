"""API keys and HTTP idempotency records in memory (the ``memory:`` store of service tests).

The same contract as ``adapters/db/repository_access.py``; a lock makes each call atomic, as
the SQL store's one-statement transactions are.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from refundable.service.access import ApiKey
from refundable.service.idempotency import Stored


class MemoryApiKeys:
    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def add(self, key: ApiKey) -> None:
        with self._lock:
            self._keys.setdefault(key.key_id, key)

    def find(self, key_id: str) -> ApiKey | None:
        return self._keys.get(key_id)

    def of_tenant(self, tenant_id: str) -> list[ApiKey]:
        found = [k for k in self._keys.values() if k.tenant_id == tenant_id]
        return sorted(found, key=lambda k: k.created_at)

    def revoke(self, tenant_id: str, key_id: str, at: datetime) -> bool:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None or key.tenant_id != tenant_id or not key.active:
                return False
            self._keys[key_id] = replace(key, revoked_at=at)
            return True


class MemoryIdempotency:
    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Stored] = {}
        self._lock = threading.Lock()

    def claim(self, tenant_id: str, key: str, fingerprint: str, at: datetime) -> Stored | None:
        with self._lock:
            found = self._rows.get((tenant_id, key))
            if found is None:
                self._rows[(tenant_id, key)] = Stored(fingerprint, None, None, at, False)
            return found

    def take_over(
        self, tenant_id: str, key: str, fingerprint: str, at: datetime, before: datetime
    ) -> bool:
        with self._lock:
            found = self._rows.get((tenant_id, key))
            if found is None or found.created_at >= before:
                return False
            self._rows[(tenant_id, key)] = Stored(fingerprint, None, None, at, False)
            return True

    def finish(self, tenant_id: str, key: str, status: int, body: str, at: datetime) -> None:
        with self._lock:
            found = self._rows[(tenant_id, key)]
            self._rows[(tenant_id, key)] = replace(found, status=status, body=body, done=True)

    def release(self, tenant_id: str, key: str) -> None:
        with self._lock:
            self._rows.pop((tenant_id, key), None)

    def purge(self, before: datetime, limit: int) -> int:
        with self._lock:
            old = sorted((s.created_at, k) for k, s in self._rows.items() if s.created_at < before)
            for _, k in old[:limit]:
                del self._rows[k]
            return min(len(old), limit)
