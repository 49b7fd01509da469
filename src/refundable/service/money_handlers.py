"""Handlers for money commands. Each is the same few lines: load, ask the policy in force
where the policy has a say, call one pure ledger function, add the result to the unit of
work. Idempotency and the transaction are the bus's."""

from __future__ import annotations

from dataclasses import replace

from refundable.core.errors import Conflict, InputError
from refundable.ledger import money_ops, payments
from refundable.ledger.accounts import Kind
from refundable.ledger.decisions import DecisionRecord, amount_for, fees_for, record_of
from refundable.ledger.entries import reverse
from refundable.ledger.transfers import Party
from refundable.policy.document import Remedy
from refundable.service import case_disputes
from refundable.service import commands as c
from refundable.service import policy_rules as rules
from refundable.service.common import Context, Detail, Done, not_found
from refundable.service.decisions import decide_for_tenant
from refundable.service.ports import Repositories
from refundable.service.subscription_handlers import credit_subscriber


def register_customer(cmd: c.RegisterCustomer, ctx: Context) -> Done:
    links = (cmd.reseller_id, cmd.group_id, cmd.approved_nonprofit)
    ctx.repos.customers.add(Party(cmd.tenant_id, cmd.customer_id, *links))
    return Done(ref=cmd.customer_id)


def record_charge(cmd: c.RecordCharge, ctx: Context) -> Done:
    e = money_ops.charge(
        ctx.entry_id(), cmd.tenant_id, cmd.customer_id, cmd.amount, cmd.at, cmd.charge_id,
        cmd.memo,
    )  # fmt: skip
    ctx.post([e])
    return Done.of([e], cmd.charge_id)


def _receive(cmd: c.RecordPayment | c.TopUpWallet, ctx: Context, funds: Kind) -> Done:
    p, e = payments.pay(
        ctx.entry_id(), cmd.tenant_id, cmd.payment_id, cmd.customer_id, cmd.amount,
        cmd.method, cmd.provider, cmd.at, funds,
    )  # fmt: skip
    if isinstance(cmd, c.TopUpWallet):
        e = replace(e, memo=f"{e.memo} ({cmd.mode.value})", meta={"mode": cmd.mode.value})
    ctx.post([e])
    ctx.repos.payments.add(p)
    return Done.of([e], cmd.payment_id)


def record_payment(cmd: c.RecordPayment, ctx: Context) -> Done:
    return _receive(cmd, ctx, Kind.receivable)


def top_up_wallet(cmd: c.TopUpWallet, ctx: Context) -> Done:
    return _receive(cmd, ctx, Kind.wallet)


def _party(repos: Repositories, customer_id: str) -> Party:
    party = repos.customers.get(customer_id)
    if party is None:
        raise not_found("customer", customer_id)
    return party


def transfer_wallet(cmd: c.TransferWallet, ctx: Context) -> Done:
    allowed = rules.transfer_routes(ctx.policy(cmd.at))
    source, target = _party(ctx.repos, cmd.from_customer), _party(ctx.repos, cmd.to_customer)
    e = money_ops.transfer(
        ctx.entry_id(), source, target, cmd.amount, cmd.at, cmd.on_termination, cmd.transfer_id,
        allowed,
    )  # fmt: skip
    ctx.post([e])
    return Done.of([e], cmd.transfer_id, {Detail.route: e.meta["route"]})


def decide_refund(cmd: c.DecideRefund, ctx: Context) -> Done:
    at = cmd.request.requested_at
    tenant = ctx.repos.tenants.get(cmd.tenant_id)
    assert tenant is not None  # the bus checked it
    decision = decide_for_tenant(tenant, ctx.policy(at), cmd.request)
    record = record_of(cmd.decision_id, cmd.tenant_id, cmd.customer_id, decision, at)
    ctx.repos.decisions.add(record)
    return Done(
        ref=cmd.decision_id,
        details={
            Detail.outcome: record.outcome.value,
            Detail.amount: str(record.money(record.net_minor).amount),
            Detail.policy_version: record.policy_version,
            Detail.rule: record.rule or "",
        },
    )


def _decision(repos: Repositories, decision_id: str) -> DecisionRecord:
    found = repos.decisions.get(decision_id)
    if found is None:
        raise not_found("decision", decision_id)
    return found


def pay_refund(cmd: c.PayRefund, ctx: Context) -> Done:
    payment = ctx.repos.payments.lock(cmd.payment_id)
    if payment is None:
        raise not_found("payment", cmd.payment_id)
    record = _decision(ctx.repos, cmd.decision_id)
    amount = amount_for(record, Remedy.refund, payment.customer_id, "refund")
    after, e = payments.refund(ctx.entry_id(), payment, cmd.refund_id, amount, cmd.at)
    e = replace(e, meta={**e.meta, "decision_id": record.decision_id})
    ctx.post([e])
    minor = after.refunded_minor - payment.refunded_minor
    ctx.repos.payments.add_return(
        "refund", cmd.refund_id, payment, minor, e.entry_id, cmd.at, cmd.reason or record.cite()
    )
    ctx.repos.payments.save(after)  # after its return row: the database checks the sum
    return Done.of(
        [e],
        cmd.refund_id,
        {
            Detail.payment_id: payment.payment_id,
            Detail.decision_id: record.decision_id,
            Detail.refundable_left: str(after.money(after.refundable_minor).amount),
        },
    )


def grant_account_credit(cmd: c.GrantAccountCredit, ctx: Context) -> Done:
    record = _decision(ctx.repos, cmd.decision_id)
    amount = amount_for(record, Remedy.account_credit, cmd.customer_id, "account credit")
    e = money_ops.grant_account_credit(
        ctx.entry_id(), cmd.tenant_id, cmd.customer_id, amount, cmd.at, cmd.grant_id,
        cmd.reason or record.cite(),
    )  # fmt: skip
    ctx.post([replace(e, meta={"decision_id": record.decision_id})])
    # as for a case's credit: the subscriber's next charge draws on it (ADR 0067 addendum)
    applied = credit_subscriber(ctx, cmd.customer_id, amount, cmd.at, f"grant:{cmd.grant_id}")
    return Done.of([e, *applied], cmd.grant_id, {Detail.decision_id: record.decision_id})


def charge_fee(cmd: c.ChargeFee, ctx: Context) -> Done:
    record = _decision(ctx.repos, cmd.decision_id)
    amount = fees_for(record, cmd.customer_id)
    e = money_ops.fee(
        ctx.entry_id(), cmd.tenant_id, cmd.customer_id, amount, cmd.at, cmd.fee_id,
        cmd.reason or record.cite(), cmd.charge_to,
    )  # fmt: skip
    ctx.post([replace(e, meta={"decision_id": record.decision_id})])
    return Done.of([e], cmd.fee_id, {Detail.decision_id: record.decision_id})


def record_chargeback(cmd: c.RecordChargeback, ctx: Context) -> Done:
    payment = ctx.repos.payments.lock(cmd.payment_id)
    if payment is None:
        raise not_found("payment", cmd.payment_id)
    hold = rules.holds_on_chargeback(ctx.policy(cmd.at))
    balances = ctx.repos.journal.lock_balances([payment.funded])
    after, e = payments.chargeback(
        ctx.entry_id(), payment, cmd.dispute_id, cmd.amount, cmd.at, balances[payment.funded]
    )
    ctx.post([e])
    minor = after.charged_back_minor - payment.charged_back_minor
    ctx.repos.payments.add_return(
        "chargeback", cmd.dispute_id, payment, minor, e.entry_id, cmd.at, cmd.reason
    )
    ctx.repos.payments.save(after)  # after its return row: the database checks the sum
    # What the chargeback does to the account: the policy's cases.chargebacks (suspension,
    # hold, account review; ADR 0053), else the clause linked to the ledger's hold.
    details = case_disputes.on_chargeback(ctx, payment, cmd.dispute_id, cmd.at, hold, cmd.reason)
    return Done.of([e], cmd.dispute_id, details)


def release_hold(cmd: c.ReleaseHold, ctx: Context) -> Done:
    hold = ctx.repos.holds.lock(cmd.hold_id)
    if hold is None:
        raise not_found("hold", cmd.hold_id)
    if hold.released_at is not None:
        raise Conflict(
            f"hold {hold.hold_id!r} was already released ({hold.resolution}) at "
            f"{hold.released_at.isoformat()}",
            where="hold_id",
            allowed="a hold still in force",
        )
    if cmd.at < hold.placed_at:
        raise InputError(
            f"release at {cmd.at.isoformat()} is before the hold was placed "
            f"({hold.placed_at.isoformat()})",
            where="at",
            allowed="an instant at or after the hold was placed",
        )
    ctx.repos.holds.release(hold.hold_id, cmd.resolution.value, cmd.reason, cmd.at)
    details = {Detail.customer_id: hold.customer_id, Detail.resolution: cmd.resolution.value}
    return Done(ref=hold.hold_id, details=details)


_PAYMENT_KINDS = ("payment", "wallet_top_up", "refund", "chargeback")


def reverse_entry(cmd: c.ReverseEntry, ctx: Context) -> Done:
    original = ctx.repos.journal.get(cmd.entry_id)
    if original is None:
        raise not_found("entry", cmd.entry_id)
    if original.kind.value in _PAYMENT_KINDS:
        raise InputError(
            f"entry {cmd.entry_id} belongs to payment records",
            where="entry_id",
            allowed="PayRefund or RecordChargeback",
        )
    # Lock the accounts first: a concurrent reverser of the same entry then waits here and
    # sees the winner's reversal (AlreadyReversed), instead of a floor broken by it.
    ctx.repos.journal.lock_balances({line.account for line in original.lines})
    already = ctx.repos.journal.is_reversed(cmd.entry_id)
    e = reverse(original, ctx.entry_id(), cmd.at, cmd.memo, already)
    ctx.post([e])
    return Done.of([e], cmd.entry_id)
