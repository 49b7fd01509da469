"""Handlers for payouts and webhook endpoints (ADR 0056, 0057). Same shape as every handler:
load, call the pure record's transition, add to the unit of work.

Settlement reuses the refund posting of ``PayRefund`` (the same entry, the same return row,
the same over-refund guard) under a key derived from the payout, and runs
``PAYOUT_SETTLED_HOOKS`` in the same transaction: the ledger, the payout's state and whatever
the hooks write (the case moving to paid, its notices) commit together or not at all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from refundable.core.errors import LedgerRefused
from refundable.core.methods import Method
from refundable.ledger import payments
from refundable.ledger.decisions import amount_for
from refundable.ledger.ids import derived_id
from refundable.outbound.payouts import FINAL, Payout, PayoutState, convert, expected_window
from refundable.outbound.webhooks import WebhookEndpoint
from refundable.policy.document import Remedy
from refundable.service import commands as c
from refundable.service import money_handlers as money
from refundable.service.common import Context, Detail, Done, not_found
from refundable.service.outbox_kinds import MessageKind, payout_message
from refundable.service.payouts import PayoutSettled, run_failed_hooks, run_settled_hooks
from refundable.service.ports import OutboxMessage, RefundStatus


def _window(ctx: Context, payout_method: Method, at: datetime) -> tuple[datetime, datetime]:
    policy = ctx.policy(at)
    promise = policy.payout_by_method.get(payout_method.value) or policy.payout
    latest = promise.n if promise is not None and promise.unit == "business_days" else None
    return expected_window(payout_method, at, policy.calendar, latest)


def request_payout(cmd: c.RequestPayout, ctx: Context) -> Done:
    payment = ctx.repos.payments.lock(cmd.payment_id)
    if payment is None:
        raise not_found("payment", cmd.payment_id)
    record = ctx.repos.decisions.get(cmd.decision_id)
    if record is None:
        raise not_found("decision", cmd.decision_id)
    allowed = amount_for(record, Remedy.refund, payment.customer_id, "payout")
    if payment.customer_id != cmd.customer_id or allowed != cmd.amount:
        raise LedgerRefused(
            f"payout of {cmd.amount} to {cmd.customer_id} does not match decision "
            f"{record.decision_id} ({allowed} to {payment.customer_id})",
            where="RequestPayout.amount",
            allowed=f"exactly {allowed} to {payment.customer_id}",
        )
    amount = convert(cmd.amount, payment.currency, cmd.fx)
    frm, by = _window(ctx, payment.method, cmd.at)
    payout = Payout(
        cmd.tenant_id, cmd.payout_id, cmd.case_id, cmd.message_id, cmd.customer_id,
        cmd.payment_id, cmd.decision_id, cmd.amount, amount, payment.method, cmd.gateway,
        PayoutState.requested, cmd.at, frm, by, cmd.fx if amount is not cmd.amount else None,
    )  # fmt: skip
    if amount.to_minor() > payment.refundable_minor:  # the gateway is never asked
        most = payment.money(payment.refundable_minor)
        reason = f"over_refund: payment {payment.payment_id} can refund at most {most}"
        payout = payout.failed(None, reason, cmd.at)
        ctx.repos.payouts.add(payout)
        run_failed_hooks(payout, ctx)  # the case says so (a dead letter would not)
        return Done(ref=cmd.payout_id, details={Detail.amount: str(amount.amount)})
    ctx.repos.payouts.add(payout)
    return Done(ref=cmd.payout_id, details={Detail.amount: str(amount.amount)})


def record_gateway_refund(cmd: c.RecordGatewayRefund, ctx: Context) -> Done:
    payout = ctx.repos.payouts.lock(cmd.payout_id)
    if payout is None:
        raise not_found("payout", cmd.payout_id)
    if payout.state in FINAL or payout.state is PayoutState.awaiting_alternative:
        return _done(payout, "unchanged")  # a duplicate or late word: money moved once
    if cmd.status is RefundStatus.succeeded:
        return _settle(payout, cmd, ctx)
    if cmd.status is RefundStatus.failed:
        after = payout.failed(cmd.gateway_refund_id, cmd.failure_reason or "declined", cmd.at)
        ctx.repos.payouts.save(after, cmd.at)
        run_failed_hooks(after, ctx)
        return _done(after, after.state.value)
    if payout.state is PayoutState.requested:
        after = payout.sent(cmd.gateway_refund_id, cmd.at)
        ctx.repos.payouts.save(after, cmd.at)
        return _done(after, "sent")
    return _done(payout, "unchanged")


def _done(payout: Payout, outcome: str, entries: tuple[str, ...] = ()) -> Done:
    return Done(entries, payout.payout_id, {Detail.outcome: outcome})


def _settle(payout: Payout, cmd: c.RecordGatewayRefund, ctx: Context) -> Done:
    sctx = replace(ctx, key=derived_id("settle", payout.payout_id))
    if payout.amount.currency == payout.requested.currency:
        reason = f"payout of case {payout.case_id}"
        pay = c.PayRefund(payout.tenant_id, sctx.key, payout.payout_id, payout.payment_id,
                          payout.decision_id, cmd.at, reason)  # fmt: skip
        entry_ids = money.pay_refund(pay, sctx).entry_ids
    else:
        entry_ids = (_post_converted(payout, cmd.at, sctx),)
    after = payout.settled(cmd.gateway_refund_id, cmd.at, entry_ids[0])
    ctx.repos.payouts.save(after, cmd.at)
    run_settled_hooks(
        PayoutSettled(
            payout.tenant_id, payout.payout_id, payout.case_id, payout.customer_id,
            payout.payment_id, payout.decision_id, payout.amount, payout.gateway,
            cmd.gateway_refund_id, cmd.at, entry_ids[0],
        ),
        ctx,
    )  # fmt: skip
    return _done(after, "settled", entry_ids)


def _post_converted(payout: Payout, at: datetime, ctx: Context) -> str:
    """A cross-currency refund (MyProtektor 8.2): the converted amount, posted against the
    payment in its own currency, with the rate and its source on the entry."""
    payment = ctx.repos.payments.lock(payout.payment_id)
    if payment is None:
        raise not_found("payment", payout.payment_id)
    after, e = payments.refund(ctx.entry_id(), payment, payout.payout_id, payout.amount, at)
    fx = payout.fx
    meta = {"decision_id": payout.decision_id, "requested": str(payout.requested)}
    if fx is not None:
        meta |= {"fx_rate": str(fx.rate), "fx_source": fx.source}
    e = replace(e, meta={**e.meta, **meta})
    ctx.post([e])
    ctx.repos.payments.add_return("refund", payout.payout_id, payment, payout.amount.to_minor(),
                                  e.entry_id, at, f"payout of case {payout.case_id}")  # fmt: skip
    ctx.repos.payments.save(after)
    return e.entry_id


def redirect_payout(cmd: c.RedirectPayout, ctx: Context) -> Done:
    payout = ctx.repos.payouts.lock(cmd.payout_id)
    if payout is None:
        raise not_found("payout", cmd.payout_id)
    message_id = derived_id("pay", payout.payout_id, cmd.idempotency_key)
    after = payout.redirected(message_id, cmd.method, cmd.destination, cmd.at,
                              _window(ctx, cmd.method, cmd.at))  # fmt: skip
    ctx.repos.payouts.save(after, cmd.at)
    ctx.repos.outbox.add(
        payout_message(
            message_id,
            case_id=payout.case_id,
            customer_id=payout.customer_id,
            payment_id=payout.payment_id,
            amount=payout.requested,
            decision_id=payout.decision_id,
            at=cmd.at,
        )
    )
    return _done(after, "requested")


def register_webhook_endpoint(cmd: c.RegisterWebhookEndpoint, ctx: Context) -> Done:
    ctx.repos.webhooks.add(
        WebhookEndpoint(
            cmd.tenant_id, cmd.endpoint_id, cmd.url, cmd.secret, cmd.event_types, cmd.at
        )
    )
    return Done(ref=cmd.endpoint_id)


def fan_out_webhook(cmd: c.FanOutWebhook, ctx: Context) -> Done:
    wanted = [e for e in ctx.repos.webhooks.all() if e.wants(cmd.event_type)]
    for endpoint in wanted:
        delivery_id = derived_id("whd", cmd.message_id, endpoint.endpoint_id)
        payload = {"endpoint_id": endpoint.endpoint_id, "event_type": cmd.event_type,
                   "event_id": cmd.event_id, "data": cmd.data}  # fmt: skip
        ctx.repos.outbox.add(
            OutboxMessage(delivery_id, MessageKind.webhook_delivery.value, payload, cmd.at)
        )
    return Done(ref=cmd.message_id, details={Detail.outcome: str(len(wanted))})
