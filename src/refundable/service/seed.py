"""The shipped policies as demo tenants, so a fresh install has four businesses to try.

Each policy file becomes a tenant named after its policy id, published through the bus like
any other version (validated, scenario-tested with its shipped scenarios). Idempotent: the
idempotency key is derived from the tenant and the version, so running it again replays.
"""

from __future__ import annotations

from pathlib import Path

from refundable.policy.registry import SCENARIO_SUFFIX, policy_files
from refundable.policy.yamlsource import read_yaml
from refundable.service.bus import MessageBus
from refundable.service.commands import PublishPolicy
from refundable.service.common import Receipt


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
