"""Handlers for money commands. Every one has the same shape: open the unit of work, replay
or claim the idempotency key, load and lock, call one pure ledger function, post, commit."""

from __future__ import annotations

from dataclasses import replace

from refundable.core.errors import Conflict, InputError
from refundable.ledger import money_ops, payments
from refundable.ledger.accounts import Kind, check_id
from refundable.ledger.entries import reverse
from refundable.ledger.transfers import Party
from refundable.service import commands as c
from refundable.service.common import (
    Receipt,
    entry_id,
    finish,
    not_found,
    post_checked,
    post_one,
    replay,
)
from refundable.service.ports import Hold, LedgerStore, UnitOfWork


def register_customer(cmd: c.RegisterCustomer, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        ids = [cmd.customer_id, cmd.reseller_id, cmd.group_id]
        for name, value in zip(("customer_id", "reseller_id", "group_id"), ids, strict=True):
            if value is not None:
                check_id(value, name)
        if store.party(cmd.customer_id) is not None:
            raise Conflict(
                f"customer {cmd.customer_id!r} is already registered", where="customer_id"
            )
        store.add_party(
            Party(
                cmd.tenant_id,
                cmd.customer_id,
                cmd.reseller_id,
                cmd.group_id,
                cmd.approved_nonprofit,
            )
        )
        return finish(uow, store, cmd, [], cmd.customer_id)


def record_charge(cmd: c.RecordCharge, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        check_id(cmd.customer_id, "customer_id")
        e = money_ops.charge(
            entry_id(cmd.tenant_id, cmd.idempotency_key),
            cmd.tenant_id,
            cmd.customer_id,
            cmd.amount,
            cmd.at,
            check_id(cmd.charge_id, "charge_id"),
            cmd.memo,
        )
        post_checked(store, [e], cmd.idempotency_key)
        return finish(uow, store, cmd, [e], cmd.charge_id)


def _receive(cmd: c.RecordPayment | c.TopUpWallet, uow: UnitOfWork, funds: Kind) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        check_id(cmd.customer_id, "customer_id")
        if store.lock_payment(check_id(cmd.payment_id, "payment_id")) is not None:
            raise Conflict(
                f"payment {cmd.payment_id!r} is already recorded",
                where="payment_id",
                allowed="a new payment id",
            )
        p, e = payments.pay(
            entry_id(cmd.tenant_id, cmd.idempotency_key),
            cmd.tenant_id,
            cmd.payment_id,
            cmd.customer_id,
            cmd.amount,
            cmd.method,
            cmd.provider,
            cmd.at,
            funds,
        )
        if isinstance(cmd, c.TopUpWallet):
            e = replace(e, memo=f"{e.memo} ({cmd.mode.value})", meta={"mode": cmd.mode.value})
        post_checked(store, [e], cmd.idempotency_key)
        store.add_payment(p)
        return finish(uow, store, cmd, [e], cmd.payment_id)


def record_payment(cmd: c.RecordPayment, uow: UnitOfWork) -> Receipt:
    return _receive(cmd, uow, Kind.receivable)


def top_up_wallet(cmd: c.TopUpWallet, uow: UnitOfWork) -> Receipt:
    return _receive(cmd, uow, Kind.wallet)


def _party(store: LedgerStore, customer_id: str, where: str) -> Party:
    party = store.party(check_id(customer_id, where))
    if party is None:
        raise not_found("customer", customer_id)
    return party


def transfer_wallet(cmd: c.TransferWallet, uow: UnitOfWork) -> Receipt:
    return post_one(
        cmd,
        uow,
        cmd.transfer_id,
        lambda store, eid: money_ops.transfer(
            eid,
            _party(store, cmd.from_customer, "from_customer"),
            _party(store, cmd.to_customer, "to_customer"),
            cmd.amount,
            cmd.at,
            cmd.on_termination,
            check_id(cmd.transfer_id, "transfer_id"),
            cmd.allowed,
        ),
    )


def pay_refund(cmd: c.PayRefund, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        payment = store.lock_payment(check_id(cmd.payment_id, "payment_id"))
        if payment is None:
            raise not_found("payment", cmd.payment_id)
        if store.has_return("refund", check_id(cmd.refund_id, "refund_id")):
            raise Conflict(f"refund {cmd.refund_id!r} already exists", where="refund_id")
        after, e = payments.refund(
            entry_id(cmd.tenant_id, cmd.idempotency_key), payment, cmd.refund_id, cmd.amount, cmd.at
        )
        post_checked(store, [e], cmd.idempotency_key)
        store.add_return(
            "refund",
            cmd.refund_id,
            payment,
            after.refunded_minor - payment.refunded_minor,
            e.entry_id,
            cmd.at,
            cmd.reason,
        )
        store.save_payment(after)  # after its return row: the database checks the sum
        return finish(
            uow,
            store,
            cmd,
            [e],
            cmd.refund_id,
            {
                "payment_id": payment.payment_id,
                "refundable_left": str(after.money(after.refundable_minor).amount),
            },
        )


def grant_account_credit(cmd: c.GrantAccountCredit, uow: UnitOfWork) -> Receipt:
    return post_one(
        cmd,
        uow,
        cmd.grant_id,
        lambda _store, eid: money_ops.grant_account_credit(
            eid,
            cmd.tenant_id,
            check_id(cmd.customer_id, "customer_id"),
            cmd.amount,
            cmd.at,
            check_id(cmd.grant_id, "grant_id"),
            cmd.reason,
        ),
    )


def charge_fee(cmd: c.ChargeFee, uow: UnitOfWork) -> Receipt:
    return post_one(
        cmd,
        uow,
        cmd.fee_id,
        lambda _store, eid: money_ops.fee(
            eid,
            cmd.tenant_id,
            check_id(cmd.customer_id, "customer_id"),
            cmd.amount,
            cmd.at,
            check_id(cmd.fee_id, "fee_id"),
            cmd.reason,
            cmd.charge_to,
        ),
    )


def record_chargeback(cmd: c.RecordChargeback, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        payment = store.lock_payment(check_id(cmd.payment_id, "payment_id"))
        if payment is None:
            raise not_found("payment", cmd.payment_id)
        if store.has_return("chargeback", check_id(cmd.dispute_id, "dispute_id")):
            raise Conflict(f"chargeback {cmd.dispute_id!r} already recorded", where="dispute_id")
        balances = store.lock_balances([payment.funded])
        after, e = payments.chargeback(
            entry_id(cmd.tenant_id, cmd.idempotency_key),
            payment,
            cmd.dispute_id,
            cmd.amount,
            cmd.at,
            balances[payment.funded],
        )
        post_checked(store, [e], cmd.idempotency_key)
        store.add_return(
            "chargeback",
            cmd.dispute_id,
            payment,
            after.charged_back_minor - payment.charged_back_minor,
            e.entry_id,
            cmd.at,
            cmd.reason,
        )
        store.save_payment(after)  # after its return row: the database checks the sum
        if cmd.hold:
            store.add_hold(
                Hold(
                    f"hold-{cmd.dispute_id}",
                    payment.customer_id,
                    cmd.reason or "chargeback",
                    payment.payment_id,
                    cmd.dispute_id,
                    cmd.at,
                )
            )
        return finish(
            uow,
            store,
            cmd,
            [e],
            cmd.dispute_id,
            {"payment_id": payment.payment_id, "hold": str(cmd.hold).lower()},
        )


def release_hold(cmd: c.ReleaseHold, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        if not isinstance(cmd.resolution, c.HoldResolution):
            raise InputError(
                f"resolution {cmd.resolution!r}",
                where="resolution",
                allowed=", ".join(r.value for r in c.HoldResolution),
            )
        hold = store.lock_hold(check_id(cmd.hold_id, "hold_id"))
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
        store.release_hold(hold.hold_id, cmd.resolution.value, cmd.reason, cmd.at)
        return finish(
            uow,
            store,
            cmd,
            [],
            hold.hold_id,
            {"customer_id": hold.customer_id, "resolution": cmd.resolution.value},
        )


def reverse_entry(cmd: c.ReverseEntry, uow: UnitOfWork) -> Receipt:
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        original = store.entry(cmd.entry_id)
        if original is None:
            raise not_found("entry", cmd.entry_id)
        if original.kind.value in ("payment", "wallet_top_up", "refund", "chargeback"):
            raise InputError(
                f"entry {cmd.entry_id} belongs to payment records",
                where="entry_id",
                allowed="PayRefund or RecordChargeback",
            )
        # Lock the accounts first: a concurrent reverser of the same entry then waits here and
        # sees the winner's reversal (AlreadyReversed), instead of a floor broken by it.
        store.lock_balances({line.account for line in original.lines})
        e = reverse(
            original,
            entry_id(cmd.tenant_id, cmd.idempotency_key),
            cmd.at,
            cmd.memo,
            store.is_reversed(cmd.entry_id),
        )
        post_checked(store, [e], cmd.idempotency_key)
        return finish(uow, store, cmd, [e], cmd.entry_id)
