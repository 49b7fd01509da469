"""What the ledger keeps of a decision, so that the money that follows it is exactly what the
policy allowed.

A refund, an account credit or a fee names the decision it carries out; the ledger posts that
decision's amounts and nothing else. The record keeps the policy version, the rule, the cited
clauses and the amounts in minor units, plus the whole decision as JSON for people to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refundable.core.errors import LedgerRefused
from refundable.core.jsontext import compact_text
from refundable.core.money import Money
from refundable.policy.decision import Decision
from refundable.policy.document import Outcome, Remedy


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    decision_id: str
    tenant_id: str
    customer_id: str
    policy_id: str
    policy_version: str
    outcome: Outcome
    remedy: Remedy
    rule: str | None
    clauses: tuple[str, ...]
    currency: str
    gross_minor: int
    fees_minor: int
    net_minor: int
    decided_at: datetime
    body: str  # Decision.to_dict() as JSON

    def money(self, minor: int) -> Money:
        return Money.from_minor(minor, self.currency)

    def cite(self) -> str:
        return (
            f"{self.policy_id} {self.policy_version} rule {self.rule} ({', '.join(self.clauses)})"
        )


def record_of(
    decision_id: str, tenant_id: str, customer_id: str, d: Decision, at: datetime,
    shown: Mapping[str, Any] | None = None,
) -> DecisionRecord:  # fmt: skip
    """The record of ``d``; ``shown`` is ``d.to_dict()`` when the caller rendered it already
    (its explanation and trace are rendered on each call)."""
    return DecisionRecord(
        decision_id,
        tenant_id,
        customer_id,
        d.policy,
        d.policy_version,
        d.outcome,
        d.remedy,
        d.rule,
        d.clauses,
        d.currency,
        d.gross.to_minor(),
        sum((f.amount.to_minor() for f in d.fees), 0),
        d.net.to_minor(),
        at,
        compact_text(d.to_dict() if shown is None else shown),
    )


def amount_for(record: DecisionRecord, remedy: Remedy, customer_id: str, what: str) -> Money:
    """The net amount an approved decision with ``remedy`` allows, or a refusal saying why."""
    if record.customer_id != customer_id:
        raise LedgerRefused(
            f"decision {record.decision_id} was made for customer {record.customer_id}",
            where="decision_id",
            allowed=f"a decision about {customer_id}",
        )
    if record.outcome is not Outcome.approve or record.remedy is not remedy:
        raise LedgerRefused(
            f"decision {record.decision_id} ({record.outcome.value}, remedy "
            f"{record.remedy.value}) allows no {what}",
            where="decision_id",
            allowed=f"an approved decision with remedy {remedy.value}",
        )
    if record.net_minor <= 0:
        raise LedgerRefused(
            f"decision {record.decision_id} leaves nothing to pay ({record.money(0)})",
            where="decision_id",
        )
    return record.money(record.net_minor)


def fees_for(record: DecisionRecord, customer_id: str) -> Money:
    """The fees a decision set, or a refusal when it set none."""
    if record.customer_id != customer_id:
        raise LedgerRefused(
            f"decision {record.decision_id} was made for customer {record.customer_id}",
            where="decision_id",
            allowed=f"a decision about {customer_id}",
        )
    if record.fees_minor <= 0:
        raise LedgerRefused(
            f"decision {record.decision_id} sets no fee", where="decision_id",
            allowed="a decision whose fees are above zero",
        )  # fmt: skip
    return record.money(record.fees_minor)
