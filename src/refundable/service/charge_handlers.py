"""Handlers for charges collected through the gateway (ADR 0066): the payment method on
file, and what the gateway said about one charge.

A success records the payment under the gateway's charge id (a second answer for the same
charge finds that payment and changes nothing); a decline of a subscription charge records a
payment failure, which starts dunning and grace exactly as a recorded failure does. Both take
effect at the charge's own instant, or at the subscription's last change when that is later
(events arrive in time order).
"""

from __future__ import annotations

from dataclasses import replace

from refundable.billing import events as ev
from refundable.billing.records import PaymentMethodOnFile
from refundable.core.errors import TransitionRefused
from refundable.core.methods import Method
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done, not_found
from refundable.service.money_handlers import record_payment
from refundable.service.ports import ChargeStatus
from refundable.service.subscription_handlers import apply_event, load, record_renewal_payment


def attach_payment_method(cmd: c.AttachPaymentMethod, ctx: Context) -> Done:
    return _file(ctx, cmd.customer_id, cmd.gateway, cmd.gateway_ref, cmd)


def remove_payment_method(cmd: c.RemovePaymentMethod, ctx: Context) -> Done:
    current = ctx.repos.subscriptions.payment_method(cmd.customer_id)
    if current is None or current.gateway_ref is None:
        raise not_found("payment method of customer", cmd.customer_id)
    return _file(ctx, cmd.customer_id, current.gateway, None, cmd)


def _file(
    ctx: Context, customer_id: str, gateway: str, ref: str | None,
    cmd: c.AttachPaymentMethod | c.RemovePaymentMethod,
) -> Done:  # fmt: skip
    current = ctx.repos.subscriptions.payment_method(customer_id)
    seq = 1 if current is None else current.seq + 1
    method = cmd.method if isinstance(cmd, c.AttachPaymentMethod) else current_method(current)
    ctx.repos.subscriptions.add_payment_method(
        PaymentMethodOnFile(customer_id, seq, gateway, ref, method, cmd.at)
    )
    return Done(ref=customer_id, details={Detail.customer_id: customer_id})


def current_method(pm: PaymentMethodOnFile | None) -> Method:
    return Method.card if pm is None else pm.method


def record_gateway_charge(cmd: c.RecordGatewayCharge, ctx: Context) -> Done:
    if cmd.status is ChargeStatus.pending:
        return Done(ref=cmd.charge_id, details={Detail.outcome: "pending"})
    if ctx.repos.payments.lock(cmd.gateway_charge_id) is not None:
        return Done(ref=cmd.charge_id, details={Detail.stale: "payment already recorded"})
    if cmd.status is ChargeStatus.succeeded:
        return _paid(cmd, ctx)
    if cmd.purpose is not c.ChargePurpose.subscription:
        return Done(ref=cmd.charge_id, details={Detail.outcome: "declined"})
    rec = load(ctx, cmd.subscription_id)
    at = max(cmd.at, rec.subscription.updated_at)
    try:
        done = apply_event(ctx, rec, ev.PaymentFailed(), at, "gateway")
    except TransitionRefused as err:  # e.g. nothing is owed any more: nothing to start
        return Done(ref=cmd.charge_id, details={Detail.stale: err.message})
    return replace(done, details={**done.details, Detail.outcome: "declined"})


def _paid(cmd: c.RecordGatewayCharge, ctx: Context) -> Done:
    if cmd.purpose is c.ChargePurpose.overage:  # queued before overage joined balance_due
        return record_payment(
            c.RecordPayment(cmd.tenant_id, ctx.key, cmd.gateway_charge_id, cmd.customer_id,
                            cmd.amount, cmd.method, cmd.gateway, cmd.at), ctx,
        )  # fmt: skip
    rec = ctx.repos.subscriptions.get(cmd.subscription_id)
    if rec is None:
        raise not_found("subscription", cmd.subscription_id)
    at = max(cmd.at, rec.subscription.updated_at)
    pay = c.RecordRenewalPayment(cmd.tenant_id, ctx.key, cmd.subscription_id,
                                 cmd.gateway_charge_id, cmd.amount, cmd.method, cmd.gateway, at,
                                 "gateway")  # fmt: skip
    return record_renewal_payment(pay, ctx)
