"""Discontinuing a plan or the whole service (MyProtektor 10.2): notice first, then an end.

A business may end a plan or its service only ``notice_days`` after telling the subscribers;
an end inside that period is refused, naming the clause and the earliest instant allowed.
At the end each subscription stops like a cancellation taking effect, and the unused part of
the current period (what was charged for it, after promotional discounts, prorated exact to
the second by :func:`~refundable.billing.proration.unused_charged`) is treated as the policy
says: what is still unpaid for that time is no longer owed, and what was
prepaid is refunded (handed to the refund workflow as a :class:`RefundDue`) or kept as account
credit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from refundable.billing.common import forfeit, refuse, require
from refundable.billing.effects import Effects, Notice, NoticeKind, Posting, PostingKind, RefundDue
from refundable.billing.ending import end_at_period_end
from refundable.billing.events import Discontinue
from refundable.billing.proration import unused_charged
from refundable.billing.rules import DiscontinuationRule, LifecycleRules, PrepaidTreatment
from refundable.billing.subscription import BillingState, Subscription
from refundable.core.errors import NoticeTooShort, TransitionRefused

LIVE = (
    BillingState.trialing,
    BillingState.active,
    BillingState.past_due,
    BillingState.cancel_pending,
    BillingState.suspended,
)


def discontinuation_rule(rules: LifecycleRules) -> DiscontinuationRule:
    if rules.discontinuation is None:
        raise TransitionRefused(
            "this policy states no terms for discontinuing the service",
            where="lifecycle.discontinuation",
            allowed="a policy with a lifecycle.discontinuation section",
        )
    return rules.discontinuation


def earliest_end(rule: DiscontinuationRule, announced_at: datetime) -> datetime:
    return announced_at + timedelta(days=rule.notice_days)


def check_notice(
    rules: LifecycleRules, announced_at: datetime, effective_at: datetime
) -> tuple[datetime, ...]:
    """The reminder instants of an end at ``effective_at`` announced at ``announced_at``, or
    ``NoticeTooShort`` when the end falls inside the notice the policy promises."""
    rule = discontinuation_rule(rules)
    earliest = earliest_end(rule, announced_at)
    if effective_at < earliest:
        raise NoticeTooShort(
            f"the end at {effective_at.isoformat()} is inside the {rule.notice_days} days' "
            f"notice that clause {rule.clause} promises subscribers told at "
            f"{announced_at.isoformat()}",
            where="DiscontinueService.effective_at",
            allowed=f"an end on or after {earliest.isoformat()} (clause {rule.clause})",
            details={"clause": rule.clause, "notice_days": rule.notice_days,
                     "earliest_effective_at": earliest.isoformat()},
        )  # fmt: skip
    days_before = sorted(set(rule.reminder_days), reverse=True)  # earliest reminder first
    reminders = (effective_at - timedelta(days=d) for d in days_before)
    return tuple(r for r in reminders if r > announced_at)


def discontinue(
    sub: Subscription | None, ev: Discontinue, at: datetime, rules: LifecycleRules
) -> tuple[Subscription, Effects]:
    """The end: billing and access stop now; unused time is not owed, and what was prepaid
    for it comes back as the policy says."""
    rule = discontinuation_rule(rules)
    sub = require(sub, "discontinue", *LIVE)
    if sub.state is BillingState.trialing:  # nothing was paid: the trial simply ends
        sub, effects = forfeit(sub, rule.clause, "trial credits")
        ended, ending = end_at_period_end(sub, at, rules)
        return ended, effects + ending + _notice(rule, "trial ended")
    bill = sub.billing
    if at < bill.period_start_at:
        refuse(sub, "the end comes before the current period", "an instant in the period")
    unused = unused_charged(bill, at)  # what was charged for that time, not the list price
    not_owed = unused.min(bill.balance_due)  # unpaid time that will not be served
    prepaid = unused - not_owed
    postings, refunds = [], []
    if not_owed.is_positive:
        postings.append(Posting(PostingKind.credit, not_owed, rule.clause, "unused time not owed"))
    credit = bill.account_credit + not_owed
    if prepaid.is_positive and rule.prepaid is PrepaidTreatment.credit_pro_rata:
        postings.append(Posting(PostingKind.credit, prepaid, rule.clause, "unused prepaid time"))
        credit = credit + prepaid
    elif prepaid.is_positive and rule.prepaid is PrepaidTreatment.refund_pro_rata:
        refunds.append(RefundDue(prepaid, rule.clause, bill.period_start_at, bill.period_end_at,
                                 at))  # fmt: skip
    billing = replace(bill, balance_due=bill.balance_due - not_owed,
                      account_credit=credit - not_owed)  # fmt: skip
    sub = replace(sub, billing=billing)
    ended, ending = end_at_period_end(sub, at, rules)
    detail = f"unused {unused}: {not_owed} not owed, {prepaid} prepaid ({rule.prepaid.value})"
    return ended, Effects(tuple(postings), refunds=tuple(refunds)) + ending + _notice(rule, detail)


def _notice(rule: DiscontinuationRule, detail: str) -> Effects:
    return Effects(notices=(Notice(NoticeKind.discontinued, rule.clause, detail),))
