"""What the console shows about a tenant and its policy.

These are reads: they open a unit of work only to read (tenant, published versions, the
version in force) and never commit, so nothing is written. (The decision preview is the
API's ``service.preview.Previewer``, shared by the console.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from refundable.core.errors import NotFound
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.coverage import ClauseCoverage, coverage
from refundable.policy.registry import SCENARIO_SUFFIX, PolicyRegistry
from refundable.policy.scenarios import ScenarioResult, run_file
from refundable.service.bus import MessageBus
from refundable.service.ports import Repositories
from refundable.tenants.model import PolicyVersion, Tenant

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PolicyReport:
    """A tenant's policy as the console shows it: every version, the one in force, and the
    shipped scenarios run against the tenant's versions with the clause coverage they give."""

    tenant: Tenant
    versions: list[PolicyVersion]
    in_force: CompiledPolicy
    scenarios: list[ScenarioResult]
    coverage: list[ClauseCoverage]


def _read(bus: MessageBus, tenant_id: str, fn: Callable[[Repositories, Tenant], T]) -> T:
    with bus.read_uow_factory() as uow:  # never committed: a read
        repos = uow.repositories(tenant_id)
        tenant = repos.tenants.get(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}", where="tenant", allowed="a tenant")
        return fn(repos, tenant)


def tenant_of(bus: MessageBus, tenant_id: str) -> Tenant:
    return _read(bus, tenant_id, lambda _, tenant: tenant)


def policy_report(
    bus: MessageBus, tenant_id: str, at: datetime, policies_dir: Path
) -> PolicyReport:
    """The policy page's data; scenarios come from ``policies_dir/<policy>.scenarios.yaml``
    when that file exists (the shipped ones for the demo tenants)."""

    def read(repos: Repositories, tenant: Tenant) -> PolicyReport:
        versions = repos.tenants.versions(tenant_id)
        compiled = [bus.catalog.compile(v.text, f"{tenant_id}/{v.version}") for v in versions]
        in_force = bus.catalog.in_force(repos.tenants, tenant_id, at)
        path = policies_dir / f"{tenant.policy_id}{SCENARIO_SUFFIX}"
        results = run_file(path, PolicyRegistry.from_policies(compiled)) if path.exists() else []
        return PolicyReport(tenant, versions, in_force, results, coverage(in_force, results))

    return _read(bus, tenant_id, read)


def policy_in_force(bus: MessageBus, tenant_id: str, at: datetime) -> CompiledPolicy:
    """The tenant's policy version in force at ``at``."""
    return _read(
        bus, tenant_id, lambda repos, _: bus.catalog.in_force(repos.tenants, tenant_id, at)
    )
