"""The decision an agent records: a judgement of a review or an override, stated as chosen.

The engine's decision is a proposal; when an agent judges or overrides it, the stored record
is the agent's decision, whole: its outcome, the remedy and amounts that outcome implies (a
deny pays nothing), the payment deadline counted from the agent's decision, and an
explanation that says so while citing the clauses that governed the review. Every reader
(API, console, portal, emails, webhooks, reports) reads this record, so none can show the
proposal as if it were the outcome. The engine's assessment stays: as its own stored record
(``Case.original_decision_id``) and summarised under ``original`` in the body (ADR 0081).

An override's amount is checked here before anything is written, for every entry point:
positive and in minor units (the command), in the decision's currency and, for a refund, no
more than the payment can still refund (``check_amount``; the console asks the same before
it shows its confirmation page).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from refundable.cases.model import Case, Subject
from refundable.core.errors import Conflict
from refundable.core.money import Money
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.payments import Payment
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.decision import Deadline
from refundable.policy.document import Outcome, Remedy
from refundable.policy.wording import REMEDIES, with_deadlines
from refundable.service.common import Context

_VERB = {Outcome.approve: "Approved", Outcome.deny: "Denied"}


def agent_decision(
    policy: CompiledPolicy, base: DecisionRecord, decision_id: str, outcome: Outcome,
    at: datetime, *, how: str, method: str | None = None, remedy: Remedy | None = None,
    net_minor: int | None = None, set_by: str = "", extra: Mapping[str, Any] | None = None,
    where: str = "OverrideDecision.amount",
) -> DecisionRecord:  # fmt: skip
    """The record of the agent's decision replacing ``base``, made at ``at``. ``how`` says
    how it was reached ("after review", "on reconsideration"); ``method`` is how the payment
    was made (its payout promise, e.g. MyProtektor 8.1); ``net_minor`` an amount the agent
    set (``set_by`` names who, for the amount's basis); ``extra``: what the body keeps of
    the agent's act (``judgement``, ``override``). An approval that would move nothing is
    refused (``where``: the command's field to blame), never recorded."""
    remedy = Remedy.none if outcome is Outcome.deny else (remedy or base.remedy)
    same = net_minor is None and remedy is base.remedy
    if outcome is Outcome.deny:
        gross, fees, net = 0, 0, 0
    elif same:
        gross, fees, net = base.gross_minor, base.fees_minor, base.net_minor
    else:
        net = base.net_minor if net_minor is None else net_minor
        gross, fees = net, 0
    if outcome is Outcome.approve:
        _check_moves(base, remedy, net, json.loads(base.body).get("units"), where)
    pay_by = None
    if outcome is Outcome.approve and remedy is Remedy.refund and net > 0:
        pay_by = payment_deadline(policy, base.rule, method, at)
    record = replace(base, decision_id=decision_id, outcome=outcome, remedy=remedy,
                     gross_minor=gross, fees_minor=fees, net_minor=net,
                     decided_at=at)  # fmt: skip
    body = json.loads(base.body)
    body.update(
        outcome=outcome.value, remedy=remedy.value, gross=_amount(record, gross),
        net=_amount(record, net), original=body.get("original") or _summary(base, body),
        explanation=_explanation(policy, record, how, body.get("units"), pay_by),
    )  # fmt: skip
    if fees == 0:
        body["fees"] = []
    if outcome is Outcome.deny:
        body["amount_basis"] = "nothing is paid: the decision is a deny"
    elif net_minor is not None:
        body["amount_basis"] = f"{record.money(net)} set by {set_by or 'the agent'}"
    deadlines = body.setdefault("deadlines", {"decide_by": None, "basis": {"decide_by": None}})
    deadlines["pay_by"] = pay_by.at.isoformat() if pay_by else None
    deadlines.setdefault("basis", {})["pay_by"] = (
        {"clause": pay_by.clause, "promise": pay_by.promise} if pay_by else None
    )
    body.update(extra or {})
    return replace(record, body=json.dumps(body, sort_keys=True))


def payment_of(ctx: Context, case: Case, payment_id: str | None) -> Payment | None:
    """The customer's payment a case's money goes back to (named, the case's, or its
    subject), locked for the command; None when there is none."""
    pid = payment_id or case.payment_id
    if pid is None and case.subject is Subject.payment:
        pid = case.subject_id
    payment = None if pid is None else ctx.repos.payments.lock(pid)
    return payment if payment is not None and payment.customer_id == case.customer_id else None


def payment_deadline(
    policy: CompiledPolicy, rule_id: str | None, method: str | None, start: datetime
) -> Deadline | None:
    """When a refund approved at ``start`` must be paid: the promise of the rule that
    governed the decision (else the policy's), and the payment method's, the later winning
    (the policy's reading of overlapping ranges, e.g. MyProtektor 4.1, 7.3 and 8.1)."""
    rule = next((r for r in policy.rules if r.id == rule_id), None)
    promises = [p for p in ((rule.payout if rule else None) or policy.payout,) if p is not None]
    if method is not None and method in policy.payout_by_method:
        promises.append(policy.payout_by_method[method])
    best: Deadline | None = None
    for p in promises:
        at = p.deadline(start, policy.calendar)
        if best is None or at > best.at:
            best = Deadline(at, p.clause, p.payment_text)
    return best


def approval_remedy(
    current: DecisionRecord, proposal: DecisionRecord | None, chosen: Remedy | None
) -> Remedy:
    """The remedy an approval moves by: the agent's choice, else the decision in force's;
    over a denial (remedy none) the engine's proposal's (``Case.original_decision_id``),
    else a refund. An approval "as decided" over a denial never means "approve nothing"."""
    if chosen is not None:
        return chosen
    for record in (current, proposal):
        if record is not None and record.remedy is not Remedy.none:
            return record.remedy
    return Remedy.refund


def approval_moves(remedy: Remedy, net_minor: int, units: Any) -> bool:
    """Whether approving with this remedy and amount gives the customer anything: not with
    remedy none, nor with a money remedy of 0.00 (the engine could not assess an amount,
    e.g. for a charge it was never shown). Credits count in units; an extension moves no
    money by nature."""
    if remedy is Remedy.service_extension:
        return True
    if remedy is Remedy.message_credits and units:
        return True
    return remedy is not Remedy.none and net_minor > 0


def _check_moves(
    base: DecisionRecord, remedy: Remedy, net_minor: int, units: Any, where: str
) -> None:
    if approval_moves(remedy, net_minor, units):
        return
    what = "no remedy" if remedy is Remedy.none else f"{remedy.value} of {base.money(net_minor)}"
    raise Conflict(
        f"an approval with {what} moves nothing: the agent must set what is given",
        where=where,
        allowed="override with an amount above zero and a remedy (refund, account_credit, "
        "wallet_credit), or deny",
    )


def check_amount(
    record: DecisionRecord, outcome: Outcome, remedy: Remedy, amount: Money | None,
    refundable: Money | None, payment_id: str | None,
) -> None:  # fmt: skip
    """Refuse an override's amount that cannot be carried out: in another currency than the
    decision, or a refund of more than the payment can still refund (``refundable``: what
    remains of payment ``payment_id``, None when the case names no payment). ``remedy``: the
    one the approval moves by (``approval_remedy``)."""
    if amount is None or outcome is Outcome.deny:
        return
    if amount.currency != record.currency:
        raise Conflict(f"amount in {amount.currency}; the decision is in {record.currency}",
                       where="OverrideDecision.amount", allowed=record.currency)  # fmt: skip
    if remedy is not Remedy.refund or refundable is None:
        return  # a credit is not paid back to a payment; a refund without one is refused later
    if amount > refundable:
        raise Conflict(
            f"a refund of {amount} is more than payment {payment_id} can still refund",
            where="OverrideDecision.amount",
            allowed=f"at most {refundable} (what remains refundable on payment {payment_id})",
        )


def _amount(record: DecisionRecord, minor: int) -> str:
    return str(record.money(minor).amount)


def _summary(base: DecisionRecord, body: dict[str, Any]) -> dict[str, Any]:
    return {"decision_id": base.decision_id, "outcome": base.outcome.value,
            "remedy": base.remedy.value, "net": _amount(base, base.net_minor),
            "explanation": body.get("explanation", "")}  # fmt: skip


def _explanation(
    policy: CompiledPolicy, record: DecisionRecord, how: str, units: Any,
    pay_by: Deadline | None,
) -> str:  # fmt: skip
    cited = "; ".join(policy.cite(c) for c in record.clauses) or "the policy"
    head = f"{_VERB[record.outcome]} {how} under {cited}"
    if record.outcome is Outcome.deny:
        return f"{head}: nothing is refunded."
    with_amount, without = REMEDIES[record.remedy]
    if record.remedy is Remedy.message_credits:
        gives = with_amount.format(units=units) if units else without
    else:
        gives = with_amount.format(amount=record.money(record.net_minor))
    return with_deadlines(f"{head}: {gives}.", None, pay_by, policy)
