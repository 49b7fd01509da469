"""The dispatchers of the outbox worker, one per message kind (ADR 0056, 0057).

Each turns a claimed message into calls on the outside world and commands on the bus, in an
order that a crash between any two steps cannot turn into a second payment or a lost one:

payout: record the payout (``RequestPayout``: once per case, by its business keys) -> ask the
gateway with our key (a replay at the gateway after a crash) -> record its answer
(``RecordGatewayRefund``: the state decides; a settled refund posts to the ledger once) ->
the worker records the attempt. A pending refund is polled on later claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook

from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger.ids import derived_id
from refundable.outbound.payouts import FINAL, Payout, PayoutState
from refundable.service import commands as c
from refundable.service.outbox import DISPATCH, Bus, Env, Sent
from refundable.service.outbox_kinds import (
    ChargeKey,
    DeliveryKey,
    EmailKey,
    MessageKind,
    PayoutKey,
)
from refundable.service.outbox_store import Claimed, Outcome
from refundable.service.ports import (
    ChargeStatus,
    GatewayCharge,
    GatewayChargeRequest,
    GatewayRefund,
    GatewayRefundRequest,
    RefundStatus,
)


def send_email(claimed: Claimed, env: Env) -> Sent:
    p = claimed.message.payload
    env.senders.mailer.send(p[EmailKey.to], p[EmailKey.subject], p[EmailKey.text],
                            p.get(EmailKey.html))  # fmt: skip
    return Sent(target=p[EmailKey.to])


def fan_out(claimed: Claimed, env: Env) -> Sent:
    m, p = claimed.message, claimed.message.payload
    env.bus.handle(c.FanOutWebhook(claimed.tenant_id, m.message_id, p["event_type"],
                                   p["event_id"], p["data"], m.created_at))  # fmt: skip
    return Sent()


def deliver_webhook(claimed: Claimed, env: Env) -> Sent:
    """One signed POST (Standard Webhooks): the delivery id is the message id, the same on
    every retry, so the receiver can drop a repeat; the signature covers id, time and body."""
    m, p = claimed.message, claimed.message.payload
    endpoint = env.store.endpoint(claimed.tenant_id, p[DeliveryKey.endpoint_id])
    if endpoint is None:
        return Sent(Outcome.dead, p[DeliveryKey.endpoint_id], detail="endpoint not registered")
    body = json.dumps({"type": p[DeliveryKey.event_type], "id": p[DeliveryKey.event_id],
                       "timestamp": m.created_at.astimezone(UTC).isoformat(),
                       "data": json.loads(p[DeliveryKey.data])}, sort_keys=True)  # fmt: skip
    now = env.now.astimezone(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": m.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(m.message_id, now, body),
    }
    answer = env.senders.webhooks.post(endpoint.url, headers, body.encode())
    code = answer.status_code
    if 200 <= code < 300:
        return Sent(target=endpoint.endpoint_id, status_code=code)
    outcome = Outcome.dead if code == 410 else Outcome.retry  # 410 Gone: it asked us to stop
    return Sent(outcome, endpoint.endpoint_id, code, answer.body_excerpt[:200] or f"HTTP {code}")


def send_payout(claimed: Claimed, env: Env) -> Sent:
    tenant, p = claimed.tenant_id, claimed.message.payload
    payout = env.store.payout_of_case(tenant, p[PayoutKey.case_id])
    if payout is None:
        _request(claimed, env)
        env.step("requested")
        payout = env.store.payout_of_case(tenant, p[PayoutKey.case_id])
        assert payout is not None  # just recorded (or replayed) in a committed transaction
    target = payout.gateway
    if payout.message_id != claimed.message.message_id:
        return Sent(target=target, detail=f"carried on by {payout.message_id}")
    if payout.state in FINAL or payout.state is PayoutState.awaiting_alternative:
        return Sent(target=target, detail=payout.state.value)
    answer = _ask_gateway(payout, env)
    env.step("gateway_answered")
    apply_gateway_answer(env.bus, tenant, payout.payout_id, answer, env.now)
    env.step("gateway_recorded")
    if answer.status is RefundStatus.pending:
        return Sent(Outcome.wait, target, detail="pending at the gateway")
    return Sent(target=target, detail=answer.failure_reason or answer.status.value)


def apply_gateway_answer(
    bus: Bus, tenant_id: str, payout_id: str, answer: GatewayRefund, at: datetime
) -> object:
    """What the gateway says about a payout (its answer, a poll, or a callback it posted), in
    any order and any number of times. One key per answer heard (hearing "pending" again is a
    new, harmless command); the payout's state, not this key, keeps the money moving once."""
    key = derived_id("gw", payout_id, answer.gateway_refund_id, answer.status.value,
                     at.isoformat())  # fmt: skip
    return bus.handle(
        c.RecordGatewayRefund(tenant_id, key, payout_id, answer.gateway_refund_id,
                              answer.status, at, answer.failure_reason)
    )  # fmt: skip


def _request(claimed: Claimed, env: Env) -> None:
    tenant, m, p = claimed.tenant_id, claimed.message, claimed.message.payload
    amount = Money.of(p[PayoutKey.amount], p[PayoutKey.currency])
    into = env.store.payment_currency(tenant, p[PayoutKey.payment_id])
    fx = None
    if into is not None and into != amount.currency:
        fx = env.senders.fx.rate(amount.currency, into, env.now)  # the rate at processing time
    payout_id = derived_id("po", p[PayoutKey.case_id])
    env.bus.handle(
        c.RequestPayout(
            tenant, derived_id("payreq", m.message_id), payout_id, m.message_id,
            p[PayoutKey.case_id], p[PayoutKey.customer_id], p[PayoutKey.payment_id],
            p[PayoutKey.decision_id], amount, env.senders.gateway.name, env.now, fx,
        )
    )  # fmt: skip


def _ask_gateway(payout: Payout, env: Env) -> GatewayRefund:
    if payout.method.internal:  # a wallet or account credit: the ledger itself pays it back
        return GatewayRefund(derived_id("internal", payout.payout_id), RefundStatus.succeeded)
    if payout.state is PayoutState.sent and payout.gateway_refund_id is not None:
        return env.senders.gateway.refund_status(payout.gateway_refund_id)
    env.step("gateway_call")
    return env.senders.gateway.refund(
        GatewayRefundRequest(
            payout.gateway_key, payout.amount, payout.payment_id, payout.method,
            {"payout_id": payout.payout_id, "case_id": payout.case_id,
             "tenant_id": payout.tenant_id, **({"destination": payout.destination}
                                               if payout.destination else {})},
        )
    )  # fmt: skip


def send_charge(claimed: Claimed, env: Env) -> Sent:
    """Collect a charge (ADR 0066): ask the gateway with the message's id as idempotency key
    (a timeout is retried with the same key: a replay, never a second collection), ask for
    the status of a pending answer, then record what it said. Pending is asked again later."""
    m, p = claimed.message, claimed.message.payload
    gateway = env.senders.gateway
    if p[ChargeKey.gateway] != gateway.name:
        return Sent(Outcome.dead, p[ChargeKey.charge_id],
                    detail=f"payment method is held by {p[ChargeKey.gateway]}, "
                           f"not {gateway.name}")  # fmt: skip
    amount = Money.of(p[ChargeKey.amount], p[ChargeKey.currency])
    env.step("gateway_call")
    answer = gateway.charge(GatewayChargeRequest(
        m.message_id, amount, p[ChargeKey.payment_method_ref],
        metadata={"tenant_id": claimed.tenant_id, **{k.value: p[k] for k in _CHARGE_META}},
    ))  # fmt: skip
    if answer.status is ChargeStatus.pending:
        answer = gateway.charge_status(answer.gateway_charge_id)
    env.step("gateway_answered")
    apply_charge_answer(env.bus, claimed.tenant_id, p, answer, gateway.name)
    env.step("gateway_recorded")
    if answer.status is ChargeStatus.pending:
        return Sent(Outcome.wait, p[ChargeKey.charge_id], detail="pending at the gateway")
    return Sent(target=p[ChargeKey.charge_id],
                detail=answer.failure_reason or answer.status.value)  # fmt: skip


# What a charge's callbacks carry back (as metadata at the gateway) to be recorded alone.
_CHARGE_META = (ChargeKey.charge_id, ChargeKey.purpose, ChargeKey.subscription_id,
                ChargeKey.customer_id, ChargeKey.amount, ChargeKey.currency, ChargeKey.method,
                ChargeKey.at)  # fmt: skip


def apply_charge_answer(
    bus: Bus, tenant_id: str, p: Mapping[str, str], answer: GatewayCharge, gateway: str
) -> object:
    """What the gateway says about a charge (its answer, a poll or a callback carrying the
    charge's metadata), any number of times: the key derives from the charge and the status,
    and the instant is the charge's, so a repeat is a replay of the same command."""
    charge_id = p[ChargeKey.charge_id]
    return bus.handle(c.RecordGatewayCharge(
        tenant_id, derived_id("gwc", charge_id, answer.status.value), charge_id,
        c.ChargePurpose(p[ChargeKey.purpose]), p[ChargeKey.subscription_id],
        p[ChargeKey.customer_id], Money.of(p[ChargeKey.amount], p[ChargeKey.currency]),
        gateway, answer.gateway_charge_id, answer.status,
        datetime.fromisoformat(p[ChargeKey.at]), Method(p[ChargeKey.method]),
        answer.failure_reason,
    ))  # fmt: skip


DISPATCH.update(
    {
        MessageKind.charge: send_charge,
        MessageKind.payout: send_payout,
        MessageKind.email: send_email,
        MessageKind.webhook: fan_out,
        MessageKind.webhook_delivery: deliver_webhook,
    }
)
