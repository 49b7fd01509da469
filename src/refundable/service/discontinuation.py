"""Discontinuing a plan or the whole service with notice (MyProtektor 10.2; ADR 0066).

``DiscontinueService`` checks the notice against the policy in force at the announcement
(refused inside it, naming the clause and the earliest end), records the discontinuation (the
plan is no longer sold), tells every subscriber still on it and schedules, per subscription,
the reminders and the end. At the end the pure ``discontinue`` transition stops the
subscription; unpaid unused time is no longer owed, and prepaid unused time is refunded
through the refund workflow: a case about the customer's latest payment, reason
``business_closure``, decided by the policy's own 10.2 rule and paid as its case rules say.
"""

from __future__ import annotations

from datetime import datetime

from refundable.billing import events as ev
from refundable.billing.discontinuation import LIVE, check_notice
from refundable.billing.effects import RefundDue
from refundable.billing.records import Discontinuation, SubscriptionRecord
from refundable.billing.transitions import apply
from refundable.cases.model import Subject
from refundable.cases.rules import case_rules
from refundable.core.errors import TransitionRefused
from refundable.ledger.ids import derived_id
from refundable.policy.facts import Reason
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import commands as c
from refundable.service.common import Context, Detail, Done
from refundable.service.outbox_kinds import webhook_message
from refundable.service.subscription_effects import EVENT_PREFIX, Change, notice_data, write_change
from refundable.service.subscription_handlers import done, rules_at

ACTOR = "scheduler"


def discontinue_service(cmd: c.DiscontinueService, ctx: Context) -> Done:
    rules = rules_at(ctx, cmd.at)
    reminders = check_notice(rules, cmd.at, cmd.effective_at)
    rule = rules.discontinuation
    assert rule is not None  # check_notice refused a policy without one
    if cmd.plan_id is not None and ctx.repos.subscriptions.plan(cmd.plan_id) is None:
        raise TransitionRefused(
            f"no plan {cmd.plan_id!r}", where="plan_id",
            allowed="a plan of the tenant, or none for the whole service",
        )  # fmt: skip
    ctx.repos.subscriptions.add_discontinuation(Discontinuation(
        cmd.discontinuation_id, cmd.plan_id, cmd.at, cmd.effective_at, rule.clause))  # fmt: skip
    affected = ctx.repos.subscriptions.live(cmd.plan_id)
    payload = {"clause": rule.clause, "discontinuation_id": cmd.discontinuation_id,
               "effective_at": cmd.effective_at.isoformat()}  # fmt: skip
    for rec in affected:
        told = {**payload, "customer_id": rec.customer_id}
        ctx.repos.schedule.add(
            [ScheduledAction.new(ctx.tenant_id, ActionKind.discontinuation_notice,
                                 rec.subscription_id, at, told) for at in reminders]
            + [ScheduledAction.new(ctx.tenant_id, ActionKind.discontinuation,
                                   rec.subscription_id, cmd.effective_at, told)]
        )  # fmt: skip
        _notify(ctx, rec, "discontinuation_announced", rule.clause, cmd.at,
                f"service ends {cmd.effective_at.isoformat()}",
                derived_id("disc", cmd.discontinuation_id, rec.subscription_id))  # fmt: skip
    return Done(ref=cmd.discontinuation_id, details={Detail.outcome: "scheduled",
                                                     Detail.ran: str(len(affected))})  # fmt: skip


def _notify(
    ctx: Context, rec: SubscriptionRecord, kind: str, clause: str, at: datetime, detail: str,
    mid: str,
) -> None:  # fmt: skip
    data = notice_data(rec.subscription_id, rec.customer_id, clause, at)
    data["detail"] = detail
    ctx.repos.outbox.add(webhook_message(mid, event_type=EVENT_PREFIX + kind, event_id=mid,
                                         data=data, at=at))  # fmt: skip


def reminder(action: ScheduledAction, ctx: Context) -> Done:
    rec = ctx.repos.subscriptions.get(action.subject)
    if rec is None or rec.subscription.state not in LIVE:
        return Done(ref=action.subject, details={Detail.stale: "subscription has ended"})
    _notify(ctx, rec, "discontinuation_notice", action.payload.get("clause", ""), action.due_at,
            f"service ends {action.payload.get('effective_at', '')}", action.action_id)  # fmt: skip
    return Done(ref=action.subject)


def end(action: ScheduledAction, ctx: Context) -> Done:
    """The end for one subscription; a subscription that ended already is left alone."""
    rec = ctx.repos.subscriptions.lock(action.subject)
    if rec is None or rec.subscription.state not in LIVE:
        return Done(ref=action.subject, details={Detail.stale: "subscription has ended"})
    at = max(action.due_at, rec.subscription.updated_at)
    event = ev.Discontinue(action.payload.get("discontinuation_id", ""))
    after, effects = apply(rec.subscription, event, at, rules_at(ctx, at))
    ch = Change(rec.subscription_id, rec.customer_id, rec, after, effects, "Discontinue", at,
                ACTOR)  # fmt: skip
    result = done(ch, write_change(ctx, ch))
    for n, due in enumerate(effects.refunds):
        _refund_case(ctx, rec, due, n)
    return result


def _refund_case(ctx: Context, rec: SubscriptionRecord, due: RefundDue, n: int) -> None:
    """The prepaid part goes back the way every refund does: a case about the payment,
    decided by the policy's rule for the clause (its amount, deadlines, who confirms)."""
    from refundable.service.case_handlers import open_case  # cases import the billing side

    payment_id = ctx.repos.subscriptions.latest_payment(rec.customer_id)
    if payment_id is None:  # nothing was paid through a provider: nothing to send back
        return
    policy = ctx.policy(due.closed_at)
    told = f"service discontinued under clause {due.clause}; {due.amount} prepaid unused"
    information = {i.key: told for i in case_rules(policy).intake if not i.optional}
    facts = {
        "account": {"closed_at": due.closed_at.isoformat()},
        "charge": {"kind": "subscription", "billing": rec.subscription.plan.cycle.name,
                   "period": {"start": due.period_start_at.isoformat(),
                              "end": due.period_end_at.isoformat()}},
    }  # fmt: skip
    case_id = derived_id("disc", rec.subscription_id, str(n))
    open_case(
        c.OpenCase(ctx.tenant_id, f"{ctx.key}:case{n}"[:64], case_id, rec.customer_id,
                   Subject.payment, payment_id, Reason.business_closure, due.closed_at,
                   "system", information, facts),
        ctx,
    )  # fmt: skip
