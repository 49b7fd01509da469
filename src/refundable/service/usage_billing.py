"""Overage charged at the plan's published unit rates, and usage charges disputed through the
decision core (MyProtektor 6.1, 6.2).

``BillOverage`` takes one metric's usage for a period (from the metering system: a fact, not a
judgement), prices what lies beyond the plan's allowance at the published rate and posts it as
a charge whose entry records it as a usage charge with its invoice date. ``DisputeUsageCharge``
turns such a charge into a refund request built from the stored entry (kind usage, amount,
invoice date), so the policy's own rules decide it: MyProtektor's dispute window (30 days from
the invoice) and its system-error and accidental-activation rules cite their clauses. Nobody
retypes the charge's facts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from refundable.billing import events as ev
from refundable.billing.policy import lifecycle_rules
from refundable.billing.usage import overage
from refundable.core.errors import TransitionRefused
from refundable.core.money import Money
from refundable.ledger.entries import JournalEntry
from refundable.policy.requests import parse_request
from refundable.service import commands as c
from refundable.service import money_handlers as money
from refundable.service.common import Context, Detail, Done, not_found
from refundable.service.subscription_handlers import apply_event, load

USAGE_KIND = "usage"  # the entry meta ``kind`` of an overage charge


def bill_overage(cmd: c.BillOverage, ctx: Context) -> Done:
    """The overage joins the subscription's balance due through ``billing.apply`` (event
    ``UsageBilled``), so the gateway's collection settles it, or its decline starts dunning,
    exactly as for a renewal. Metering reports arrive after the fact: the event takes effect at
    the report's instant, or at the subscription's last change when that is later."""
    rec = load(ctx, cmd.subscription_id)
    policy = ctx.policy(cmd.at)
    rules = lifecycle_rules(policy.document)
    if rules is None or rules.usage is None:
        raise TransitionRefused(
            f"policy {policy.id} publishes no overage billing",
            where="BillOverage",
            allowed="a tenant whose policy has lifecycle.usage",
        )
    line = overage(rec.subscription.plan, cmd.metric, cmd.units)
    if not line.amount.is_positive:
        return Done(ref=cmd.charge_id, details={Detail.outcome: "within_allowance"})
    invoice_on = cmd.at.astimezone(ZoneInfo(policy.document.timezone)).date()
    memo = f"overage {line.metric}: {line.over} over {line.included} at {line.unit_rate}"
    meta = {
        "kind": USAGE_KIND, "customer_id": rec.customer_id, "subscription_id": rec.subscription_id,
        "metric": line.metric, "units": str(line.used), "included": str(line.included),
        "amount": str(line.amount.amount), "currency": line.amount.currency,
        "invoice_date": invoice_on.isoformat(), "clause": rules.usage.clause,
    }  # fmt: skip
    event = ev.UsageBilled(line.amount, memo, cmd.charge_id, tuple(meta.items()))
    at = max(cmd.at, rec.subscription.updated_at)
    billed = apply_event(ctx, rec, event, at, "metering")
    details = {**billed.details, Detail.outcome: "charged", Detail.amount: str(line.amount.amount)}
    return replace(billed, ref=cmd.charge_id, details=details)


def dispute_usage_charge(cmd: c.DisputeUsageCharge, ctx: Context) -> Done:
    entry = ctx.repos.journal.get(cmd.entry_id)
    if entry is None or entry.meta.get("kind") != USAGE_KIND:
        raise not_found("usage charge", cmd.entry_id)
    policy = ctx.policy(cmd.requested_at)
    zone = ZoneInfo(policy.document.timezone)  # the invoice date is a local day
    request = parse_request(_request_of(entry, cmd), policy=policy.id, zone=zone)
    decide = c.DecideRefund(cmd.tenant_id, cmd.idempotency_key, cmd.decision_id,
                            entry.meta["customer_id"], request)  # fmt: skip
    return money.decide_refund(decide, ctx)


def _request_of(entry: JournalEntry, cmd: c.DisputeUsageCharge) -> dict[str, Any]:
    m = entry.meta
    amount = Money.of(m["amount"], m["currency"])
    return {
        "requested_at": cmd.requested_at.isoformat(),
        "reason": cmd.reason.value,
        "charge": {
            "id": entry.ref,
            "kind": USAGE_KIND,
            "amount": str(amount.amount),
            "currency": amount.currency,
            "charged_at": entry.effective_at.isoformat(),
            "invoice_date": m["invoice_date"],
        },
    }
