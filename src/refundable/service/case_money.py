"""Money in the same transaction as the case transition that causes it (ADR 0052).

An approved decision is carried out by its remedy, posting exactly the stored decision's
amounts with the ledger's own operations:

* ``refund``: the fees the decision set are posted as fee income (from the wallet for a
  wallet top-up, else kept from the refund), and a ``payout`` outbox message asks the payout
  worker to pay the net back to the payment's source exactly once; the case is ``paying``;
* ``account_credit``: an account credit the next cycle's invoice draws on; ``credited``;
* ``message_credits``: credits reinstated as lots (the very lots a failed usage event drew
  on, else a new reinstatement lot valid as the policy says); ``credited``;
* ``wallet_credit``: wallet funds reinstated; ``credited``;
* ``service_extension`` / ``none``: nothing moves; ``credited``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from refundable.cases.model import Case, EventKind, Subject
from refundable.cases.money import retained_fee, wallet_reinstated
from refundable.core.errors import Conflict
from refundable.ledger import credit_ops, money_ops
from refundable.ledger.accounts import Kind
from refundable.ledger.decisions import DecisionRecord, amount_for
from refundable.ledger.entries import JournalEntry
from refundable.ledger.ids import derived_id
from refundable.ledger.lots import LotSource
from refundable.policy.document import Remedy
from refundable.scheduling.model import expiry_actions
from refundable.service import policy_rules
from refundable.service.common import Context
from refundable.service.outbox_kinds import payout_message
from refundable.service.subscription_handlers import credit_subscriber

Moved = tuple[EventKind, dict[str, str], list[JournalEntry]]


def carry_out(
    ctx: Context, case: Case, record: DecisionRecord, payment_id: str | None, at: datetime
) -> Moved:
    """Post what an approved decision moves; the event that follows and its data."""
    remedy = record.remedy
    if remedy is Remedy.refund:
        return _refund(ctx, case, record, payment_id, at)
    if remedy is Remedy.account_credit:
        amount = amount_for(record, remedy, case.customer_id, "account credit")
        e = money_ops.grant_account_credit(
            ctx.entry_id(1), ctx.tenant_id, case.customer_id, amount, at, case.case_id,
            record.cite(),
        )  # fmt: skip
        moved = _posted(ctx, [replace(e, meta={"decision_id": record.decision_id})], amount)
        # the subscriber's next charge draws on it (or it pays down what is owed now)
        applied = credit_subscriber(ctx, case.customer_id, amount, at, f"case:{case.case_id}")
        return moved[0], moved[1], moved[2] + applied
    if remedy is Remedy.message_credits:
        return _lots(ctx, case, record, at)
    if remedy is Remedy.wallet_credit:
        amount = amount_for(record, remedy, case.customer_id, "wallet credit")
        e = wallet_reinstated(ctx.entry_id(1), ctx.tenant_id, case.customer_id, amount,
                              at, case.case_id, record.cite())  # fmt: skip
        return _posted(ctx, [e], amount)
    return EventKind.credited, {"remedy": remedy.value}, []


def _posted(ctx: Context, entries: list[JournalEntry], amount: object) -> Moved:
    ctx.post(entries)
    data = {"entries": ",".join(e.entry_id for e in entries), "amount": str(amount)}
    return EventKind.credited, data, entries


def _refund(
    ctx: Context, case: Case, record: DecisionRecord, payment_id: str | None, at: datetime
) -> Moved:
    pid = payment_id or (case.subject_id if case.subject is Subject.payment else None)
    if pid is None:
        raise Conflict(
            f"case {case.case_id} has no payment to refund to",
            where="payment_id",
            allowed="the id of the customer's payment the money goes back to",
        )
    payment = ctx.repos.payments.lock(pid)
    if payment is None or payment.customer_id != case.customer_id:
        raise Conflict(f"no payment {pid!r} of {case.customer_id}", where="payment_id",
                       allowed="a recorded payment of the case's customer")  # fmt: skip
    amount = amount_for(record, Remedy.refund, case.customer_id, "refund")
    entries: list[JournalEntry] = []
    if record.fees_minor > 0:
        fee = record.money(record.fees_minor)
        if payment.funded.kind is Kind.wallet:
            e = money_ops.fee(ctx.entry_id(1), ctx.tenant_id, case.customer_id, fee, at,
                              case.case_id, record.cite(), money_ops.FeeFrom.wallet)  # fmt: skip
        else:
            e = retained_fee(ctx.entry_id(1), ctx.tenant_id, fee, at, case.case_id,
                             record.cite())  # fmt: skip
        entries.append(replace(e, meta={"decision_id": record.decision_id}))
        ctx.post(entries)
    ctx.repos.outbox.add(
        payout_message(
            derived_id("payout", case.case_id, record.decision_id),
            case_id=case.case_id,
            customer_id=case.customer_id,
            payment_id=pid,
            amount=amount,
            decision_id=record.decision_id,
            at=at,
        )
    )
    data = {"payment_id": pid, "amount": str(amount), "decision_id": record.decision_id}
    if entries:
        data["entries"] = ",".join(e.entry_id for e in entries)
    return EventKind.payout_requested, data, entries


def _lots(ctx: Context, case: Case, record: DecisionRecord, at: datetime) -> Moved:
    units = json.loads(record.body).get("units") or 0
    if case.subject is Subject.usage_event:
        allocations = ctx.repos.usage.allocations_of(case.subject_id)
        originals = ctx.repos.lots.get([a.lot_id for a in allocations])
        lots, e = credit_ops.reinstate(
            ctx.entry_id(1), ctx.tenant_id, case.customer_id, case.subject_id, allocations,
            originals, at, None,
        )  # fmt: skip
    else:
        if units <= 0:
            return EventKind.credited, {"remedy": record.remedy.value, "units": "0"}, []
        until = policy_rules.credit_valid_until(ctx.policy(case.received_at), at)
        purchase = credit_ops.LotPurchase(
            derived_id("lot", case.case_id), case.customer_id, units,
            record.money(0), until, LotSource.reinstatement, Kind.receivable,
        )  # fmt: skip
        lot, e = credit_ops.buy_lot(ctx.entry_id(1), ctx.tenant_id, purchase, at)
        lots = [lot]
    ctx.post([e])
    ctx.repos.lots.add(lots, e.entry_id)
    ctx.repos.schedule.add(expiry_actions(ctx.tenant_id, lots))
    data = {"entries": e.entry_id, "units": str(sum(x.units for x in lots))}
    return EventKind.credited, data, [e]
