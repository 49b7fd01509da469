"""The policy catalog: which version of tenant T's policy is in force at instant X.

Versions are stored whole (text) by the tenants repository; a process compiles each version
at most once (keyed by the digest of its text) and keeps it, so deciding or posting under a
policy costs one indexed lookup of the version in force, never a compilation. Another
process publishing a new version is seen at the next lookup, because the lookup itself reads
the store in the caller's transaction.
"""

from __future__ import annotations

import threading
from datetime import datetime

from refundable.core.errors import InvariantBroken, NoPolicyVersionInForce, NotFound
from refundable.policy.compiled import CompiledPolicy
from refundable.service.ports import Tenants
from refundable.tenants.model import compile_version, digest_of

# Compiled versions by digest of their text, shared by every catalog of the process: a text
# is compiled once per process however many apps (or tests) are wired.
_COMPILED: dict[str, CompiledPolicy] = {}
_LOCK = threading.Lock()


class PolicyCatalog:
    def __init__(self) -> None:
        self._compiled = _COMPILED
        self._lock = _LOCK

    def in_force(self, tenants: Tenants, tenant_id: str, at: datetime) -> CompiledPolicy:
        digest = tenants.digest_in_force(tenant_id, at)
        if digest is None:
            raise self._missing(tenants, tenant_id, at)
        found = self._compiled.get(digest)
        if found is not None:
            return found
        version = tenants.version(tenant_id, digest)
        if version is None:
            raise InvariantBroken(f"policy version {digest} of {tenant_id} vanished")
        return self.compile(version.text, f"{tenant_id}/{version.version}")

    def compile(self, text: str, file: str) -> CompiledPolicy:
        """``text`` compiled, once per process (a text that does not compile is not kept)."""
        digest = digest_of(text)
        found = self._compiled.get(digest)
        if found is not None:
            return found
        compiled = compile_version(text, file)
        with self._lock:
            return self._compiled.setdefault(digest, compiled)

    @staticmethod
    def _missing(tenants: Tenants, tenant_id: str, at: datetime) -> Exception:
        tenant = tenants.get(tenant_id)
        if tenant is None:
            return NotFound(
                f"no tenant {tenant_id!r}", where="tenant_id", allowed="a registered tenant"
            )
        versions = tenants.versions(tenant_id)
        first = versions[0].effective_from.isoformat() if versions else "none published"
        return NoPolicyVersionInForce(
            f"no version of {tenant.policy_id!r} was in force for tenant {tenant_id} at "
            f"{at.isoformat()}",
            where="at",
            allowed=f"an instant on or after the first version's effective date ({first})",
        )
