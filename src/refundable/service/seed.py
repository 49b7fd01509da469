"""The shipped policies as demo tenants, so a fresh install has four businesses to try.

Each policy file becomes a tenant named after its policy id, published through the bus like
any other version (validated, scenario-tested with its shipped scenarios). Idempotent: the
idempotency key is derived from the tenant and the version, so running it again replays.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from refundable.policy.registry import SCENARIO_SUFFIX, policy_files
from refundable.policy.yamlsource import read_yaml
from refundable.service.access import ApiKeys, Role, create_key
from refundable.service.bus import MessageBus
from refundable.service.commands import PublishPolicy
from refundable.service.common import Receipt

if TYPE_CHECKING:
    from refundable.bootstrap import App


def seed_demo_tenants(bus: MessageBus, policies_dir: Path) -> list[Receipt]:
    """Publish every policy under ``policies_dir`` as the tenant of the same id."""
    receipts = []
    for path in policy_files(policies_dir):
        data, _ = read_yaml(path)
        policy_id = str(data["policy"])
        version = str(data["version"])
        scenarios = path.with_name(path.name.removesuffix(".yaml") + SCENARIO_SUFFIX)
        receipts.append(
            bus.handle(
                PublishPolicy(
                    policy_id,
                    f"seed-{policy_id}-{version}",
                    path.read_text(),
                    name=str(data["name"]),
                    scenarios=scenarios.read_text() if scenarios.exists() else None,
                    file=path.name,
                )
            )
        )
    return receipts


# --- demo API keys (ADR 0060) -------------------------------------------------------------
# Published on purpose, like a demo password: derived from the tenant and the role, so every
# start prints the same keys and a restart finds them already stored. `serve --no-demo` (or
# REFUNDABLE_DEMO=no) seeds none of this.


def demo_key_secret(tenant_id: str, role: str) -> str:
    import hashlib

    return hashlib.sha256(f"refundable-demo/{tenant_id}/{role}".encode()).hexdigest()[:32]


def seed_demo_keys(keys: ApiKeys, tenant_ids: list[str], at: datetime) -> dict[str, dict[str, str]]:
    """One key per demo tenant and role: {tenant: {role: key}}."""
    shown: dict[str, dict[str, str]] = {}
    for tenant_id in tenant_ids:
        for role in Role:
            key = create_key(
                keys, tenant_id, role, f"demo {role.value}", at,
                key_id=f"demo-{tenant_id}-{role.value.replace('_', '-')}",
                secret=demo_key_secret(tenant_id, role.value),
            )  # fmt: skip
            shown.setdefault(tenant_id, {})[role.value] = key
    return shown


def seed_demo(app: App, keys: ApiKeys, policies_dir: Path) -> dict[str, dict[str, str]]:
    """Everything `refundable serve` shows a newcomer: the four demo tenants and their keys
    (and, as the other parts land, their customers, subscriptions and cases). Idempotent."""
    from refundable.service.demo_data import anchor_and_policy, seed_demo_cases, seed_demo_data

    seed_demo_tenants(app.bus, policies_dir)
    tenant_ids = _tenant_ids(policies_dir)
    for tenant_id in tenant_ids:
        seed_demo_data(app.bus, tenant_id)
    first_start = min(anchor_and_policy(app.bus, t)[0] for t in tenant_ids)
    seed_demo_cases(app.bus, first_start)
    return seed_demo_keys(keys, tenant_ids, app.clock.now())


def _tenant_ids(policies_dir: Path) -> list[str]:
    return sorted(str(read_yaml(p)[0]["policy"]) for p in policy_files(policies_dir))
