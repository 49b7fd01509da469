"""Usage billing (ADR 0049): overage at the plan's published rates, and disputes of a usage
charge decided by the policy (MyProtektor 6.1, 6.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.policy.facts import Reason
from refundable.service.commands.base import Command, check_id


@dataclass(frozen=True, slots=True)
class BillOverage(Command):
    """``units`` of ``metric`` used by a subscription in the period ending at ``at``: what lies
    beyond the plan's allowance is charged at the plan's published unit rate."""

    tenant_id: str
    idempotency_key: str
    charge_id: str
    subscription_id: str
    metric: str
    units: int
    at: datetime
    BUSINESS_KEYS = (("charge", "charge_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        check_id(self.metric, "BillOverage.metric")


@dataclass(frozen=True, slots=True)
class DisputeUsageCharge(Command):
    """A customer disputes an overage charge (the entry ``BillOverage`` posted); the policy in
    force when they ask decides it, from the charge as stored."""

    tenant_id: str
    idempotency_key: str
    decision_id: str
    entry_id: str
    reason: Reason
    requested_at: datetime
    BUSINESS_KEYS = (("decision", "decision_id"),)
