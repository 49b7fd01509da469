"""What a payment gateway tells us on its own (a callback or webhook), applied once per event.

A gateway posts events about refunds we asked for (succeeded, failed, still pending) and
about disputes its card networks opened and closed. The adapter that receives them verifies
their signature and turns each into a :class:`GatewayEvent` (``adapters.payments.stripe_events``
for Stripe's format); :func:`handle_gateway_event` turns that into the one existing command it
means and hands it to the bus:

* refund succeeded / failed / pending -> ``RecordGatewayRefund`` (the payout's state decides:
  a refund settles and posts once, whatever order and however often the news arrives);
* dispute opened -> ``RecordChargeback`` (the policy's sanctions follow, ADR 0053);
* dispute won / lost -> ``ResolveDispute`` (a won dispute reverses it all).

Idempotent by the gateway's event id: the command's key derives from it, so a redelivered
event replays the first receipt. Two different events about the same thing meet the command's
business keys (one chargeback per dispute, one resolution per dispute) and replay too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.ledger.holds import HoldResolution
from refundable.ledger.ids import derived_id
from refundable.service import commands as c
from refundable.service.common import Receipt
from refundable.service.ports import RefundStatus


class GatewayEventKind(StrEnum):
    refund_succeeded = "refund_succeeded"
    refund_failed = "refund_failed"
    refund_pending = "refund_pending"
    dispute_opened = "dispute_opened"
    dispute_won = "dispute_won"
    dispute_lost = "dispute_lost"


_REFUND = {
    GatewayEventKind.refund_succeeded: RefundStatus.succeeded,
    GatewayEventKind.refund_failed: RefundStatus.failed,
    GatewayEventKind.refund_pending: RefundStatus.pending,
}
_CLOSED = {
    GatewayEventKind.dispute_won: HoldResolution.won,
    GatewayEventKind.dispute_lost: HoldResolution.lost,
}


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """One verified gateway event, in our vocabulary."""

    gateway: str  # "stripe"
    event_id: str  # the gateway's own id: what makes a redelivery a replay
    kind: GatewayEventKind
    object_id: str  # the gateway's refund id, or its dispute id
    at: datetime  # when the gateway says it happened
    payout_id: str | None = None  # ours, from the refund's metadata
    payment_id: str | None = None  # the disputed payment (the id we recorded it under)
    amount: Money | None = None  # a dispute's amount
    failure_reason: str | None = None


class Bus(Protocol):
    def handle(self, command: c.Command) -> Receipt: ...


def command_for(tenant_id: str, event: GatewayEvent) -> c.Command:
    """The command an event means (bad or incomplete events are an InputError: the sender
    is told, nothing is written)."""
    key = derived_id("gwevt", event.gateway, event.event_id)
    if event.kind in _REFUND:
        if not event.payout_id:
            raise InputError(f"refund {event.object_id} carries no payout id of ours",
                             where="event.data.object.metadata.payout_id",
                             allowed="a refund Refundable asked for")  # fmt: skip
        return c.RecordGatewayRefund(tenant_id, key, event.payout_id, event.object_id,
                                     _REFUND[event.kind], event.at,
                                     event.failure_reason)  # fmt: skip
    if event.kind is GatewayEventKind.dispute_opened:
        if not event.payment_id or event.amount is None:
            raise InputError(
                f"dispute {event.object_id} names no payment or amount",
                where="event.data.object",
                allowed="a dispute with charge or payment_intent, and amount",
            )
        return c.RecordChargeback(tenant_id, key, event.object_id, event.payment_id,
                                  event.amount, event.at,
                                  f"{event.gateway} dispute {event.object_id}")  # fmt: skip
    return c.ResolveDispute(
        tenant_id,
        key,
        event.object_id,
        _CLOSED[event.kind],
        event.at,
        f"gateway:{event.gateway}",
        f"{event.gateway} event {event.event_id}",
    )


def handle_gateway_event(bus: Bus, tenant_id: str, event: GatewayEvent) -> Receipt:
    """Apply one verified event, once (a redelivery replays the first receipt)."""
    return bus.handle(command_for(tenant_id, event))
