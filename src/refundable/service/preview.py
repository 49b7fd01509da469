"""Deciding without recording: what a request would get, under the tenant's policy in force.

A preview writes nothing, so it need not read the store on every call: the tenant and the list
of its published versions are kept for ``ttl`` seconds (versions are immutable; a version
published meanwhile is seen within ``ttl``), and each version's compiled policy comes from the
process-wide catalog (compiled once per text). After the first call of a tenant, a preview is
the pure core only: parse, pick the version in force, decide (ADR 0059).

When a tenant's entry goes stale, the next preview still uses it and ONE background refresh
reads the store (ADR 0068): under load, every request arriving in the same millisecond used
to find the entry stale, leave the event loop and read the store at once, which put a
read of the tenant catalog into the tail latency every ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from refundable.core.errors import NoPolicyVersionInForce, NotFound
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.decision import Decision
from refundable.policy.facts import Request
from refundable.policy.requests import parse_request
from refundable.service.catalog import PolicyCatalog
from refundable.service.decisions import DecisionKind, DecisionSeen, decide_for_tenant
from refundable.service.ports import UnitOfWork
from refundable.tenants.model import PolicyVersion, Tenant


@dataclass(frozen=True, slots=True)
class _Known:
    tenant: Tenant
    zone: ZoneInfo
    versions: tuple[PolicyVersion, ...]  # by starts_at, oldest first
    until: float  # monotonic seconds


class Previewer:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], catalog: PolicyCatalog, ttl: float = 2.0
    ) -> None:
        self._uow_factory = uow_factory
        self._catalog = catalog
        self._ttl = ttl
        self._known: dict[str, _Known] = {}
        self._compiled: dict[str, CompiledPolicy] = {}
        self._lock = threading.Lock()
        self._refreshing: set[str] = set()
        # told of each preview decided, whoever asked (API, console; ADR 0084)
        self.decision_watchers: list[DecisionSeen] = []

    def preview(self, tenant_id: str, data: Any) -> Decision:
        """Parse ``data`` (a request in the public vocabulary; ``policy`` may be left out)
        and decide it under the tenant's version in force at its ``requested_at``."""
        known = self._tenant(tenant_id)
        request = parse_request(data, policy=known.tenant.policy_id, zone=known.zone)
        policy = self._in_force(known, request.requested_at)
        decision = decide_for_tenant(known.tenant, policy, request)
        for watcher in self.decision_watchers:
            watcher(DecisionKind.preview, decision.outcome, decision.remedy)
        return decision

    def parse(self, tenant_id: str, data: Any) -> Request:
        """A request for this tenant: its policy filled in, plain dates in its timezone."""
        known = self._tenant(tenant_id)
        return parse_request(data, policy=known.tenant.policy_id, zone=known.zone)

    def is_warm(self, tenant_id: str) -> bool:
        """Whether a preview for this tenant needs no store read (its versions are known,
        perhaps stale and being refreshed in the background)."""
        return tenant_id in self._known

    def policy_id(self, tenant_id: str) -> str:
        return self._tenant(tenant_id).tenant.policy_id

    def forget(self, tenant_id: str) -> None:
        """Drop what is known of a tenant (this process just published a version)."""
        with self._lock:
            self._known.pop(tenant_id, None)

    def _tenant(self, tenant_id: str) -> _Known:
        known = self._known.get(tenant_id)
        if known is None:
            return self._load(tenant_id)
        if known.until <= time.monotonic():
            self._refresh_in_background(tenant_id)
        return known

    def _refresh_in_background(self, tenant_id: str) -> None:
        with self._lock:
            if tenant_id in self._refreshing:
                return
            self._refreshing.add(tenant_id)

        def refresh() -> None:
            try:
                self._load(tenant_id)
            except Exception:  # the stale entry stays; the next call tries again
                pass
            finally:
                with self._lock:
                    self._refreshing.discard(tenant_id)

        threading.Thread(target=refresh, name=f"preview-refresh-{tenant_id}", daemon=True).start()

    def _load(self, tenant_id: str) -> _Known:
        with self._uow_factory() as uow:
            tenants = uow.repositories(tenant_id).tenants
            tenant = tenants.get(tenant_id)
            if tenant is None:
                raise NotFound(f"no tenant {tenant_id!r}", where="tenant_id")
            versions = tuple(tenants.versions(tenant_id))
        fresh = _Known(tenant, ZoneInfo(tenant.timezone), versions, time.monotonic() + self._ttl)
        with self._lock:
            self._known[tenant_id] = fresh
        return fresh

    def _in_force(self, known: _Known, at: datetime) -> CompiledPolicy:
        chosen = None
        for version in known.versions:
            if version.starts_at <= at:
                chosen = version
        if chosen is None:
            first = known.versions[0].effective_from.isoformat() if known.versions else "none"
            raise NoPolicyVersionInForce(
                f"no version of {known.tenant.policy_id!r} was in force at {at.isoformat()}",
                where="requested_at",
                allowed=f"an instant on or after the first version's effective date ({first})",
            )
        found = self._compiled.get(chosen.digest)  # the version's digest is known: no hashing
        if found is None:
            found = self._catalog.compile(chosen.text, f"{chosen.tenant_id}/{chosen.version}")
            self._compiled[chosen.digest] = found
        return found
