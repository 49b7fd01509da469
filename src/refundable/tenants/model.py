"""Tenant and policy-version records, and the pure checks that publishing a version makes.

Publishing is where a policy text becomes binding for money: the text must compile, belong to
the tenant's policy, pass the scenarios given with it, and not reuse an effective date or a
version name already published (a published version is immutable; a change is a new version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from refundable.core.errors import Conflict, InputError, PolicyInvalid, Problem
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.loader import load_policy_text
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import _run_one
from refundable.policy.yamlsource import load_yaml


@dataclass(frozen=True, slots=True)
class Tenant:
    """A business using Refundable: its policy, and the currency and timezone that policy
    names (copied from its first published version, shown to people)."""

    tenant_id: str
    name: str
    policy_id: str
    currency: str
    timezone: str


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One published version of a tenant's policy, stored whole (``text``) so it can be
    compiled again by any process; ``digest`` identifies the text."""

    tenant_id: str
    policy_id: str
    version: str
    effective_from: date
    starts_at: datetime  # local midnight of effective_from, in UTC: the first instant it governs
    notified_on: date | None  # when customers were told of this version
    published_at: datetime
    digest: str
    text: str
    notified_at: datetime | None = None  # the instant customers were (or will be) told
    material: bool = False  # a material change of the version it replaces (ADR 0050)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def compile_version(text: str, file: str) -> CompiledPolicy:
    """The text compiled (every problem of it at once, as ``PolicyInvalid``)."""
    return load_policy_text(text, file)


def run_scenarios(policy: CompiledPolicy, scenarios_text: str, file: str) -> list[str]:
    """Every failing scenario of ``scenarios_text`` run against ``policy`` alone, as
    ``file:line name: mismatch`` lines (empty when all pass)."""
    data, problems = load_yaml(scenarios_text, file)
    if problems:
        return [p.render() for p in problems]
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        return [f"{file}: needs `policy:` and a `scenarios:` list"]
    registry = PolicyRegistry.from_policies([policy])
    failures: list[str] = []
    for item in data["scenarios"]:
        result = _run_one(file, item, policy.id, registry)
        failures += [f"{file}:{result.line} {result.name}: {m}" for m in result.mismatches]
    return failures


def check_publishable(
    tenant: Tenant, policy: CompiledPolicy, published: Sequence[PolicyVersion], file: str
) -> None:
    """Refuse a version of another policy, or one that reuses a published date or name."""
    if policy.id != tenant.policy_id:
        raise InputError(
            f"the text is a version of policy {policy.id!r}, not of {tenant.policy_id!r}",
            where=f"{file}: policy",
            allowed=f"a version of {tenant.policy_id!r} (tenant {tenant.tenant_id})",
        )
    for v in published:
        if v.effective_from == policy.effective_from or v.version == policy.version:
            raise Conflict(
                f"version {v.version} (effective {v.effective_from}) is already published and "
                "cannot change",
                where=f"{file}: version",
                allowed="a new version with a new name and effective date",
            )


def scenario_failure(failures: list[str], file: str) -> PolicyInvalid:
    return PolicyInvalid([Problem(file, None, f"scenario failed: {f}") for f in failures])


def version_of(
    tenant_id: str,
    policy: CompiledPolicy,
    text: str,
    notified_on: date | None,
    published_at: datetime,
    notified_at: datetime | None = None,
    material: bool = False,
) -> PolicyVersion:
    return PolicyVersion(
        tenant_id,
        policy.id,
        policy.version,
        policy.effective_from,
        policy.starts_at,
        notified_on,
        published_at,
        digest_of(text),
        text,
        notified_at,
        material,
    )


def describe(v: PolicyVersion) -> dict[str, Any]:
    return {
        "policy": v.policy_id,
        "version": v.version,
        "effective_from": v.effective_from.isoformat(),
        "notified_on": v.notified_on.isoformat() if v.notified_on else None,
        "notified_at": v.notified_at.isoformat() if v.notified_at else None,
        "material": v.material,
        "digest": v.digest,
    }
