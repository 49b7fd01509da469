"""Charges collected through the payment gateway (ADR 0066): the payment method a customer
keeps on file, and what the gateway said about one charge.

``RecordGatewayCharge`` comes from the outbox worker (the gateway's answer, a status poll or a
callback), in any order and any number of times: its key derives from the charge and the
status, and the payment it records is keyed by the gateway's charge id, so money enters the
ledger once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from refundable.core.limits import MAX_TEXT_LENGTH
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service.commands.base import Command, bad, check_id
from refundable.service.ports import ChargeStatus


class ChargePurpose(StrEnum):
    """What a charge settles: the subscription's balance due (renewal, upgrade pro-rata,
    early termination, overage), or (``overage``, only on charges queued before overage
    joined the balance due, ADR 0066 addendum) a usage charge posted beside it."""

    subscription = "subscription"
    overage = "overage"


@dataclass(frozen=True, slots=True)
class AttachPaymentMethod(Command):
    """The customer's instrument at the gateway, used for charges from now on (a newer one
    replaces it). Trials need none; without one, charges wait for a recorded payment."""

    tenant_id: str
    idempotency_key: str
    customer_id: str
    gateway: str  # the gateway that holds the instrument (its adapter's name)
    gateway_ref: str
    at: datetime
    method: Method = Method.card

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        check_id(self.gateway, "AttachPaymentMethod.gateway")
        check_id(self.gateway_ref, "AttachPaymentMethod.gateway_ref")
        if self.method.internal or self.method is Method.cash:
            raise bad("AttachPaymentMethod.method", self.method.value,
                      "card, eft or debit_order (an instrument a gateway can charge)")  # fmt: skip


@dataclass(frozen=True, slots=True)
class RemovePaymentMethod(Command):
    tenant_id: str
    idempotency_key: str
    customer_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordGatewayCharge(Command):
    """What the gateway says about charge ``charge_id`` (ours). A success records the
    payment (id: the gateway's charge id); a decline records a payment failure, which starts
    dunning; pending writes nothing."""

    tenant_id: str
    idempotency_key: str
    charge_id: str
    purpose: ChargePurpose
    subscription_id: str
    customer_id: str
    amount: Money
    gateway: str
    gateway_charge_id: str
    status: ChargeStatus
    at: datetime
    method: Method = Method.card
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        check_id(self.gateway, "RecordGatewayCharge.gateway")
        reason = self.failure_reason
        if reason is not None and len(reason) > MAX_TEXT_LENGTH:
            raise bad("RecordGatewayCharge.failure_reason", reason,
                      f"at most {MAX_TEXT_LENGTH} characters")  # fmt: skip
