"""The sentences of a decision: what an agent reads to the customer.

Rendered only when read (see Decision.explanation), from the decision's own data: the verb of
the outcome, the clause and its title, the remedy and amount, the fees with their clauses, how
the amount was computed, what the business weighs, and the deadlines the policy promises.
"""

from __future__ import annotations

from datetime import datetime

from refundable.policy.compiled import CompiledPolicy, CompiledRule
from refundable.policy.decision import Deadline
from refundable.policy.document import Outcome, Remedy
from refundable.policy.settlement import Settlement

VERBS = {
    Outcome.approve: "Approved",
    Outcome.deny: "Denied",
    Outcome.review: "Referred for review",
}

_REMEDY_TEXT = {
    Remedy.refund: "refund to the original payment method",
    Remedy.account_credit: "account credit",
    Remedy.message_credits: "message credits reinstated to the account",
    Remedy.wallet_credit: "funds reinstated to the wallet",
    Remedy.service_extension: "extension of the subscription period",
    Remedy.none: "no remedy",
}


def explain_applied(
    policy: CompiledPolicy,
    rule: CompiledRule,
    outcome: Outcome,
    money: Settlement,
    units: int | None,
) -> str:
    """Why a matched rule gave this outcome, and with what money."""
    then, gross, fees, net = rule.then, money.gross, money.fees, money.net
    basis = money.basis()
    parts = [f"{VERBS[outcome]} under {policy.cite(rule.clause)}: {rule.description}"]
    if money.eaten:
        parts.append(
            f"The fees ({', '.join(f'{f.amount} under {policy.cite(f.clause)}' for f in fees)}) "
            f"would take the whole {gross}, so no refund is paid."
        )
    elif then.remedy is not Remedy.none and outcome is not Outcome.deny:
        lead = "Proposed" if outcome is Outcome.review else "Remedy"
        amount = f" of {net}" if rule.amount is not None else ""
        if units is not None:
            amount = f" of {units} credits"
        parts.append(f"{lead}: {_REMEDY_TEXT[then.remedy]}{amount}.")
        if fees:
            shown = "; ".join(f"{f.description} {f.amount} ({policy.cite(f.clause)})" for f in fees)
            parts.append(f"Gross {gross} less {shown}.")
        if basis:
            parts.append(f"Computed as {basis}.")
    if outcome is Outcome.review and then.factors:
        parts.append(
            "The business decides at its discretion, weighing: " + "; ".join(then.factors) + "."
        )
    if then.alternatives:
        parts.append(
            "Other remedies the clause allows: "
            + ", ".join(_REMEDY_TEXT[a] for a in then.alternatives)
            + "."
        )
    if then.explanation:
        parts.append(then.explanation)
    return " ".join(parts)


def with_deadlines(
    text: str, decide_by: Deadline | None, pay_by: Deadline | None, policy: CompiledPolicy
) -> str:
    extra = []
    if decide_by is not None:
        extra.append(
            f"A decision is due by {_when(decide_by.at, policy)} ({policy.cite(decide_by.clause)})."
        )
    if pay_by is not None:
        extra.append(
            f"Payment is due by {_when(pay_by.at, policy)} ({policy.cite(pay_by.clause)})."
        )
    return " ".join([text, *extra])


def _when(at: datetime, policy: CompiledPolicy) -> str:
    local = at.astimezone(policy.calendar.zone)
    return local.strftime("%a %d %b %Y %H:%M ") + (local.tzname() or "")


def information_note(asks: tuple[str, ...]) -> str:
    """The trace's reason for a rule that could not be decided without more information."""
    return "may apply, but needs: " + "; ".join(asks)


def explain_information_needed(
    policy: CompiledPolicy, rule: CompiledRule, asks: tuple[str, ...]
) -> str:
    """A request the rule may cover but cannot decide yet: say what is missing."""
    return (
        f"{VERBS[Outcome.review]} under {policy.cite(rule.clause)}: {rule.description} "
        f"Before it can be decided we need {'; '.join(asks)}."
    )
