"""Carrying out what a lifecycle transition decided, inside the command's transaction.

``apply`` returns the new subscription and its effects as data; :func:`write_change` turns
them into ledger entries (through the existing ledger builders and floor checks), rows of the
scheduled actions table, outbox messages for the notices, the subscription's new row and one
line of its append-only history. Everything derives its id from the command's key, so a
retried transaction writes the very same rows (ADR 0046).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from refundable.billing.effects import ActionKind as BillingAction
from refundable.billing.effects import Effects, Posting, PostingKind
from refundable.billing.records import SubscriptionEvent, SubscriptionRecord
from refundable.billing.subscription import Subscription
from refundable.core.limits import MAX_TEXT_LENGTH
from refundable.core.money import Money
from refundable.ledger import money_ops
from refundable.ledger import subscription_ops as ops
from refundable.ledger.entries import JournalEntry
from refundable.ledger.ids import derived_id
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import retention
from refundable.service.common import Context
from refundable.service.outbox_kinds import charge_message, webhook_message

_NS = uuid.UUID("3b0f7a52-8f3e-4b7e-9d61-5a2c4d8e1f07")

# The billing core's action kinds, as the runner's kinds (a period end is one job).
ACTION_KINDS: dict[BillingAction, ActionKind] = {
    BillingAction.renew: ActionKind.renewal,
    BillingAction.period_end: ActionKind.renewal,
    BillingAction.trial_end: ActionKind.trial_end,
    BillingAction.plan_change: ActionKind.plan_change,
    BillingAction.dunning_notice: ActionKind.dunning_notice,
    BillingAction.grace_end: ActionKind.grace_end,
    BillingAction.retention_purge: ActionKind.retention_purge,
    BillingAction.discontinue: ActionKind.discontinuation,
    BillingAction.discontinuation_notice: ActionKind.discontinuation_notice,
    BillingAction.promotion_lapse: ActionKind.promotion_lapse,
}
EVENT_PREFIX = "subscription."  # webhook event types: subscription.renewed, ...


def notice_data(sid: str, customer_id: str, clause: str, at: datetime) -> dict[str, str]:
    """The body every subscription notice carries (the webhook's ``data``)."""
    return {"subscription_id": sid, "customer_id": customer_id, "clause": clause,
            "at": at.isoformat()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Change:
    """One transition to write: the subscription before (None: a new one) and after."""

    subscription_id: str
    customer_id: str
    before: SubscriptionRecord | None
    after: Subscription
    effects: Effects
    event: str
    at: datetime
    actor: str
    credit_before: Money | None = None  # account credit before, when not ``before``'s
    overpaid: Money | None = None  # a payment's excess, kept as account credit


def message_id(tenant_id: str, key: str, n: int) -> str:
    return str(uuid.uuid5(_NS, f"{tenant_id}\x1fnotice\x1f{key}\x1f{n}"))


def write_change(ctx: Context, ch: Change, first_entry: int = 0) -> list[JournalEntry]:
    """Post, schedule, notify, store the new state and append the history line."""
    entries = _entries(ctx, ch, first_entry)
    if entries:
        ctx.post(entries)
    ctx.repos.schedule.add(
        [
            ScheduledAction.new(
                ctx.tenant_id,
                ACTION_KINDS[a.kind],
                ch.subscription_id,
                a.due_at,
                {"clause": a.clause, "customer_id": ch.customer_id},
            )
            for a in ch.effects.actions
        ]
    )
    for n, notice in enumerate(ch.effects.notices):
        mid = message_id(ctx.tenant_id, ctx.key, n)
        data = notice_data(ch.subscription_id, ch.customer_id, notice.clause, ch.at)
        data["detail"] = notice.detail
        ctx.repos.outbox.add(webhook_message(
            mid, event_type=EVENT_PREFIX + notice.kind.value, event_id=mid, data=data, at=ch.at
        ))  # fmt: skip
    collect(ctx, ch.subscription_id, ch.customer_id, _to_collect(ch), ch.at)
    store(ctx, ch)
    before = None if ch.before is None else ch.before.subscription.state
    retention.follow_subscription(ctx, ch.customer_id, before, ch.after, ch.at)  # ADR 0051
    return entries


def collect(
    ctx: Context, sid: str, customer_id: str, amount: Money, at: datetime,
    purpose: str = "subscription",
) -> None:  # fmt: skip
    """Ask the gateway, through the outbox, to collect ``amount`` (ADR 0066) when the
    customer keeps a payment method on file. Without one (a trial needs no card) the charge
    stays owed until a payment is recorded, and dunning runs as before. The message's id
    derives from the command's key, so a retried command writes it once."""
    if not amount.is_positive:
        return
    pm = ctx.repos.subscriptions.payment_method(customer_id)
    if pm is None or pm.gateway_ref is None:
        return
    mid = str(uuid.uuid5(_NS, f"{ctx.tenant_id}\x1fcharge\x1f{ctx.key}"))
    ctx.repos.outbox.add(charge_message(
        mid, charge_id=derived_id("chg", sid, ctx.key), purpose=purpose, subscription_id=sid,
        customer_id=customer_id, amount=amount, gateway=pm.gateway,
        payment_method_ref=pm.gateway_ref, method=pm.method.value, at=at,
    ))  # fmt: skip


def _to_collect(ch: Change) -> Money:
    """What this change made owed (renewal, upgrade pro-rata, early termination) less the
    account credit it used, never more than the subscription owes now."""
    owed = _charged(ch) - _credit_applied(ch)
    return owed.min(ch.after.billing.balance_due)


def _charged(ch: Change) -> Money:
    zero = Money.zero(ch.after.currency)
    return sum((p.amount for p in ch.effects.postings if p.kind is PostingKind.charge), zero)


def store(ctx: Context, ch: Change) -> SubscriptionRecord:
    """The subscription's new row and its history line (seq = the row's version)."""
    repos = ctx.repos.subscriptions
    if ch.before is None or ch.before.subscription_id != ch.subscription_id:
        record = SubscriptionRecord(ch.subscription_id, ch.customer_id, ch.after, ch.at)
        repos.add(record)
    else:
        record = replace(ch.before, subscription=ch.after, version=ch.before.version + 1)
        repos.save(record)
    repos.append(
        SubscriptionEvent(
            ch.subscription_id,
            record.version,
            ch.customer_id,
            ch.event,
            ch.at,
            ctx.now,
            ch.actor,
            clauses(ch.effects),
            ch.after.state.value,
            detail(ch.effects),
        )
    )
    return record


def clauses(effects: Effects) -> tuple[str, ...]:
    cited = [p.clause for p in effects.postings] + [a.clause for a in effects.actions]
    cited += [n.clause for n in effects.notices]
    return tuple(sorted(set(cited)))


def detail(effects: Effects) -> str:
    parts = [f"{p.kind.value} {p.amount} ({p.memo})" for p in effects.postings]
    parts += [f"{a.kind.value} at {a.due_at.isoformat()}" for a in effects.actions]
    parts += [n.kind.value + (f": {n.detail}" if n.detail else "") for n in effects.notices]
    return "; ".join(parts)[:MAX_TEXT_LENGTH]


def _entries(ctx: Context, ch: Change, first: int) -> list[JournalEntry]:
    entries: list[JournalEntry] = []
    for p in ch.effects.postings:
        if p.amount.is_positive:
            entries.append(_posting(ctx, ch, p, ctx.entry_id(first + len(entries))))
    applied = _credit_applied(ch)
    if applied.is_positive:
        eid = ctx.entry_id(first + len(entries))
        entries.append(ops.apply_account_credit(
            eid, ctx.tenant_id, ch.customer_id, applied, ch.at, ch.subscription_id,
            ch.effects.postings[0].clause if ch.effects.postings else "",
        ))  # fmt: skip
    if ch.overpaid is not None and ch.overpaid.is_positive:
        eid = ctx.entry_id(first + len(entries))
        entries.append(ops.overpayment_to_credit(
            eid, ctx.tenant_id, ch.customer_id, ch.overpaid, ch.at, ch.subscription_id, "",
        ))  # fmt: skip
    return entries


def _credit_applied(ch: Change) -> Money:
    """Account credit a charge used up: what the credit was, plus what this change added,
    minus what it is now (the billing core consumes it inside ``renew``)."""
    zero = Money.zero(ch.after.currency)
    before = ch.credit_before
    if before is None:
        before = zero if ch.before is None else ch.before.subscription.billing.account_credit
    added = sum((p.amount for p in ch.effects.postings if p.kind is PostingKind.credit), zero)
    return before + added + (ch.overpaid or zero) - ch.after.billing.account_credit


def _posting(ctx: Context, ch: Change, p: Posting, eid: str) -> JournalEntry:
    args = (eid, ctx.tenant_id, ch.customer_id, p.amount, ch.at)
    sid, memo = ch.subscription_id, f"{p.memo} (clause {p.clause})"
    meta = {"subscription_id": sid, "clause": p.clause, **dict(p.meta)}
    match p.kind:
        case PostingKind.charge:  # a charge of its own: named by its entry unless given a name
            return replace(money_ops.charge(*args, p.ref or eid, memo), meta=meta)
        case PostingKind.credit:
            return replace(money_ops.grant_account_credit(*args, sid, memo), meta=meta)
        case PostingKind.grant:
            return ops.grant_plan_credits(*args, sid, memo, p.clause)
        case PostingKind.forfeit:
            return ops.forfeit_plan_credits(*args, sid, memo, p.clause)
