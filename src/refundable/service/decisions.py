"""Deciding a request for a tenant: under that tenant's policy, never one the request names.

A request carries the id of the policy it expects (``policy:``), which lets one tenant's
client ask to be judged by another business's rules. The tenant's catalog picks the policy;
a request naming another policy is refused with both names, before anything is decided.
This module imports no storage, so the decision-only path (CLI ``decide``) stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from refundable.core.errors import InputError
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.decision import Decision
from refundable.policy.document import Outcome, Remedy
from refundable.policy.engine import decide
from refundable.policy.facts import Request
from refundable.tenants.model import Tenant


def check_request_policy(tenant: Tenant, request: Request) -> None:
    if request.policy != tenant.policy_id:
        raise InputError(
            f"the request names policy {request.policy!r}, but tenant {tenant.tenant_id} runs "
            f"{tenant.policy_id!r}",
            where="request.policy",
            allowed=f"{tenant.policy_id!r} (or leave it to the tenant)",
        )


def decide_for_tenant(tenant: Tenant, policy: CompiledPolicy, request: Request) -> Decision:
    """Decide ``request`` under ``policy``, the tenant's version in force at the request."""
    check_request_policy(tenant, request)
    return decide(policy, request)


class DecisionKind(StrEnum):
    """How a decision was made: only previewed (nothing stored), or recorded."""

    preview = "preview"
    recorded = "recorded"


# Told of every decision made, once, by the one place that makes it: the previewer for a
# preview, the bus once the transaction that recorded it committed (ADR 0084). It runs on the
# caller's thread: it must be as cheap as a counter.
DecisionSeen = Callable[[DecisionKind, Outcome, Remedy], None]
