"""The login store in memory (ADR 0061): the same contract as the SQL store, for fast tests
and ``memory:`` apps. Its own lock and dictionaries (logins are written outside the units of
work, so they must not live in the tables a unit of work copies and swaps)."""

from __future__ import annotations

import threading
from datetime import datetime

from refundable.service.logins import Login, login_taken


class MemLogins:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logins: dict[tuple[str, str], Login] = {}
        self._used: dict[tuple[str, str], tuple[str, datetime]] = {}

    def add(self, login: Login) -> None:
        with self._lock:
            key = (login.tenant_id, login.email)
            if key in self._logins:
                raise login_taken(login)
            self._logins[key] = login

    def find(self, tenant_id: str, email: str) -> Login | None:
        return self._logins.get((tenant_id, email))

    def of_tenant(self, tenant_id: str) -> list[Login]:
        found = [v for (tenant, _), v in self._logins.items() if tenant == tenant_id]
        return sorted(found, key=lambda v: v.email)

    def tenants(self) -> list[str]:
        return sorted({tenant for tenant, _ in self._logins})

    def use_link(self, tenant_id: str, link_id: str, email: str, at: datetime) -> bool:
        with self._lock:
            if (tenant_id, link_id) in self._used:
                return False
            self._used[(tenant_id, link_id)] = (email, at)
            return True
