"""The sentences of a decision: what an agent reads aloud to the customer.

Rendered only when read (see Decision.explanation), from the decision's own data: the verb of
the outcome, the clause and its title (once), the remedy and amount, the fees with their
clauses, how the amount was computed, what the business weighs, and the deadlines the policy
promises as local times. No field paths, Python values or ISO timestamps reach the customer:
facts read through :mod:`refundable.policy.labels`, failed conditions through
:mod:`refundable.policy.plain`. Every phrase is a row of a table here, so a new outcome, remedy
or formula is one line to add (docs/decisions/0020-plain-explanations.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from refundable.policy import labels as lb
from refundable.policy.compiled import CompiledPolicy, CompiledRule
from refundable.policy.cond import Cond
from refundable.policy.decision import (
    ALL_HELD,
    NOT_CONSIDERED,
    Deadline,
    FeeLine,
    TraceStatus,
    TraceStep,
)
from refundable.policy.document import Formula, Outcome, Remedy
from refundable.policy.facts import Request
from refundable.policy.plain import Finding, Phrasing, findings, statement
from refundable.policy.settlement import Settlement

VERBS = {
    Outcome.approve: "Approved",
    Outcome.deny: "Denied",
    Outcome.review: "Referred for review",
}

# What each remedy gives: with an amount ({amount}), with a number of credits ({units}), and
# without either.
REMEDIES: dict[Remedy, tuple[str, str]] = {
    Remedy.refund: ("a refund of {amount} to the original payment method", "a refund"),
    Remedy.account_credit: ("account credit of {amount}", "account credit"),
    Remedy.message_credits: (
        "{units} message credits reinstated to the account",
        "message credits reinstated to the account",
    ),
    Remedy.wallet_credit: ("{amount} put back in the wallet", "funds put back in the wallet"),
    Remedy.service_extension: (
        "an extension of the subscription period worth {amount}",
        "an extension of the subscription period",
    ),
    Remedy.none: ("no remedy", "no remedy"),
}

# How a formula's amount is described in `policy explain`.
FORMULAS: dict[Formula, str] = {
    Formula.none: "nothing",
    Formula.full: "the full charge",
    Formula.difference: "the amount overcharged",
    Formula.pro_rata_unused: "the unused part of the paid period",
    Formula.pro_rata_elapsed: "in proportion to the time affected",
    Formula.pro_rata_plan_difference: "the price difference for the rest of the period",
    Formula.percent_kept: "the charge less the share the business keeps",
    Formula.unused_share: "the unused share of the service",
    Formula.wallet_excess: "the wallet balance above what is owed",
    Formula.failed_value: "the value of the failed messages",
    Formula.fixed: "a fixed amount",
}

# Formulas whose basis only restates the amount ("the full charge of ZAR 899.00").
_SELF_EVIDENT = frozenset({Formula.full, Formula.failed_value, Formula.fixed})

# The engine's amount basis is for agents and the JSON; these rewrite it for a customer.
_BASIS_REWRITES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r" \(actual_(?:seconds|days)\)"), ""),
    (re.compile(r"\b(\d+)h(\d\d)\b"), lambda m: _hours(int(m[1]), int(m[2]))),
    (re.compile(r"\b(\d+) d\b"), lambda m: lb.plural(int(m[1]), "day")),
    (
        re.compile(r"^(?P<paid>.+) x unused share (?P<share>[\d.]+)$"),
        lambda m: f"the unused {lb.percent(Decimal(m['share']))} of {m['paid']}",
    ),
    (
        re.compile(r"^(?P<base>.+?) x (?P<part>.+?) / (?P<whole>.+)$"),
        r"\g<base> for \g<part> out of \g<whole>",
    ),
    (re.compile(r"^wallet balance (.+) less (.+) due$"), r"the wallet balance of \1 less \2 owed"),
)


def _hours(hours: int, minutes: int) -> str:
    return lb.duration(timedelta(hours=hours, minutes=minutes))


class Citer:
    """Cites a clause with its title the first time and by number after, so a sentence never
    repeats a title."""

    def __init__(self, policy: CompiledPolicy) -> None:
        self.policy = policy
        self.seen: set[str] = set()

    def __call__(self, clause: str) -> str:
        title = self.policy.title(clause)
        if clause in self.seen or not title:
            return f"clause {clause}"
        self.seen.add(clause)
        return f"clause {clause} ({title})"


def phrasing(policy: CompiledPolicy) -> Phrasing:
    params = {k: Decimal(str(p.value)) for k, p in policy.document.parameters.items()}
    return Phrasing(policy.calendar, params, policy.document.currency)


# Per compiled policy (kept alive with it, so an id is never reused while cached): its
# phrasing and its rules by id, which a JSON trace reads for every step of every decision.
_POLICY_VIEWS: dict[int, tuple[CompiledPolicy, Phrasing, dict[str, CompiledRule]]] = {}


def _view(policy: CompiledPolicy) -> tuple[Phrasing, dict[str, CompiledRule]]:
    cached = _POLICY_VIEWS.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_POLICY_VIEWS) >= 256:
            _POLICY_VIEWS.clear()
        cached = (policy, phrasing(policy), {rule.id: rule for rule in policy.rules})
        _POLICY_VIEWS[id(policy)] = cached
    return cached[1], cached[2]


# --- approvals and reviews ---------------------------------------------------------------------


def explain_applied(
    policy: CompiledPolicy,
    rule: CompiledRule,
    outcome: Outcome,
    money: Settlement,
    units: int | None,
) -> str:
    """Why a matched rule gave this outcome, and with what money."""
    cite = Citer(policy)
    then = rule.then
    parts = [f"{VERBS[outcome]} under {cite(rule.clause)}: {rule.description}"]
    if money.eaten:
        parts.append(_eaten(money, cite))
    elif then.remedy is not Remedy.none and outcome is not Outcome.deny:
        parts += _money_sentences(rule, outcome, money, units, cite)
    if outcome is Outcome.review and then.factors:
        parts.append(
            "The business decides at its discretion, weighing: " + "; ".join(then.factors) + "."
        )
    if then.alternatives:
        shown = lb.words([REMEDIES[a][1] for a in then.alternatives], "or")
        parts.append(f"The clause also allows {shown} instead.")
    if then.explanation:
        parts.append(then.explanation)
    return " ".join(parts)


def _eaten(money: Settlement, cite: Citer) -> str:
    """Fees that leave nothing: a fee that is the whole amount is said as what is kept."""
    if len(money.fees) == 1 and money.fees[0].amount == money.gross:
        fee = money.fees[0]
        return (
            f"The business keeps all of the {money.gross} under {cite(fee.clause)} "
            f"({_lower(fee.description)}), so no refund is paid."
        )
    return (
        f"The fees ({_fees(money.fees, cite)}) would take the whole {money.gross}, "
        "so no refund is paid."
    )


def remedy_text(remedy: Remedy, amount: object | None, units: int | None) -> str:
    with_amount, bare = REMEDIES[remedy]
    if units is not None and "{units}" in with_amount:
        return with_amount.format(units=f"{units:,}")
    if amount is not None and "{amount}" in with_amount:
        return with_amount.format(amount=amount)
    return bare


def _money_sentences(
    rule: CompiledRule, outcome: Outcome, money: Settlement, units: int | None, cite: Citer
) -> list[str]:
    lead = "Proposed remedy" if outcome is Outcome.review else "Remedy"
    amount = money.net if rule.amount is not None else None
    out = [f"{lead}: {remedy_text(rule.then.remedy, amount, units)}."]
    formula = rule.amount.formula if rule.amount is not None else None
    basis = plain_basis(money.basis()) if formula is not None else ""
    evident = formula in _SELF_EVIDENT and ", converted at" not in basis
    if money.fees:
        gross = f"the full charge of {money.gross}" if formula is Formula.full else money.gross
        out.append(f"That is {gross} less {_fees(money.fees, cite)}.")
    if basis and not evident:
        out.append(f"Computed as {basis}.")
    return out


def _fees(fees: tuple[FeeLine, ...], cite: Citer) -> str:
    return lb.words([f"{_lower(f.description)} of {f.amount} under {cite(f.clause)}" for f in fees])


def _lower(text: str) -> str:
    """Lower-case a policy's phrase for the middle of a sentence, sparing acronyms."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


@lru_cache(maxsize=4096)
def plain_basis(basis: str) -> str:
    """The engine's amount basis in a customer's words ("ZAR 1,499.00 for 72 hours and
    1 minute out of 720 hours, converted at USD/ZAR 18.50"). Remembered by the exact text
    (bounded): six regular expressions per explanation were a third of its cost."""
    head, _, converted = basis.partition("; converted at ")
    for pattern, repl in _BASIS_REWRITES:
        head = pattern.sub(repl, head)
    return f"{head}, converted at {converted}" if converted else head


def nothing_due(policy: CompiledPolicy, rule: CompiledRule, money: Settlement) -> str:
    """An approving rule whose amount came to zero: a denial that says why."""
    return (
        f"Denied: the request falls under {Citer(policy)(rule.clause)}, but nothing is due "
        f"({plain_basis(money.basis())})."
    )


# --- refusals: a requirement or the request window did not hold --------------------------------


def explain_refused(
    policy: CompiledPolicy,
    rule: CompiledRule,
    r: Request,
    cond: Cond,
    clause: str,
    explain: str | None,
) -> str:
    """The rule's situation matched but a requirement (or the window) did not: say which, in
    the policy's own words where it gave them, and what the request actually had."""
    cite = Citer(policy)
    head = f"Denied: the request falls under {cite(rule.clause)}, but "
    raw = raw_condition(policy, rule, cond)
    ph = phrasing(policy)
    found = findings(raw, r, ph) if raw is not None else [Finding("the condition was not met")]
    facts = "; ".join(f.found for f in found)
    own = clause == rule.clause
    limit = found[0].limit if len(found) == 1 else None
    if limit is not None and not explain:
        return f"{head}{facts}, and {'the policy' if own else cite(clause)} {limit}."
    source = "" if own else f"under {cite(clause)} "
    if explain:
        shown = "; ".join(f.found for f in found if not f.flag)
        return f"{head}{source}{explain}" + (f": {shown}." if shown else ".")
    asked = statement(raw, ph) if raw is not None else "its conditions"
    return f"{head}{source}the policy requires that {asked}: {facts}."


def raw_condition(
    policy: CompiledPolicy, rule: CompiledRule, cond: Cond
) -> Mapping[str, Any] | None:
    """The condition as the document wrote it, for a compiled requirement, ``when`` leaf or
    the request window."""
    window = policy.window
    if window is not None and cond is window.cond:
        w = policy.document.process.request_window
        assert w is not None  # a compiled window comes from the document's
        unit = next(u for u in ("days", "hours", "business_days") if getattr(w, u) is not None)
        return {"within": {unit: getattr(w, unit), "of": w.of}}
    doc_rule = policy.document.rules[rule.index]
    for req, raw_req in zip(rule.requires, doc_rule.requires, strict=False):
        if req.cond is cond:
            return raw_req.condition
    for leaf, key in zip(rule.when, doc_rule.when, strict=False):
        if leaf is cond:
            return {key: doc_rule.when[key]}
    return None


# --- deadlines -------------------------------------------------------------------------------


def with_deadlines(
    text: str, decide_by: Deadline | None, pay_by: Deadline | None, policy: CompiledPolicy
) -> str:
    """The promised deadlines as local times; one sentence when both fall at the same time."""
    zone = policy.calendar.zone
    if decide_by is not None and pay_by is not None and decide_by.at == pay_by.at:
        return (
            f"{text} A decision and payment are both due {lb.deadline(pay_by.at, zone)}, "
            f"under clauses {decide_by.clause} and {pay_by.clause}."
        )
    extra = []
    if decide_by is not None:
        extra.append(
            f"A decision is due {lb.deadline(decide_by.at, zone)}, under clause {decide_by.clause}."
        )
    if pay_by is not None:
        extra.append(
            f"Payment is due {lb.deadline(pay_by.at, zone)}, under clause {pay_by.clause}."
        )
    return " ".join([text, *extra])


# --- the trace, step by step --------------------------------------------------------------------


APPLIES = f"applies: {ALL_HELD}"


def constant_texts(step: TraceStep) -> tuple[str, str]:
    """``why`` and ``text`` of a step that reads nothing of the request: the rule that
    applied, or one after it (built once per rule; policy/trace_text.py)."""
    if step.status is TraceStatus.not_reached:
        return NOT_CONSIDERED, NOT_CONSIDERED
    if step.status is not TraceStatus.applied or step.note or step.cond is not None:
        raise ValueError(f"the step of rule {step.rule} reads the request: {step.status}")
    return ALL_HELD, APPLIES


def narrate(policy: CompiledPolicy, r: Request, step: TraceStep) -> str:
    """One trace step as a plain sentence (the JSON trace's ``text``), rendered when read."""
    if step.status is TraceStatus.applied:
        return APPLIES
    if step.status is TraceStatus.not_reached:
        return NOT_CONSIDERED
    ph, rules = _view(policy)
    rule = rules.get(step.rule)
    raw = None if rule is None or step.cond is None else raw_condition(policy, rule, step.cond)
    if raw is None:
        return step.note or step.status.value.replace("_", " ")
    facts = "; ".join(f.found for f in findings(raw, r, ph))
    if step.status is TraceStatus.not_applicable:
        return (
            f"does not apply: it covers requests where {_asked(step.cond, raw, ph)}; here {facts}"
        )
    if step.status is TraceStatus.outside_window:
        return f"applies, but the request came outside the request window: {facts}"
    return f"applies, but it requires that {_asked(step.cond, raw, ph)}: {facts}"


# What a compiled condition asks does not depend on the request: said once per condition
# (a JSON trace says it for every rule of every decision). Bounded: cleared when full.
_ASKED: dict[Cond, str] = {}
_ASKED_MAX = 20_000


def _asked(cond: Cond | None, raw: Mapping[str, Any], ph: Phrasing) -> str:
    if cond is None:
        return statement(raw, ph)
    said = _ASKED.get(cond)
    if said is None:
        if len(_ASKED) >= _ASKED_MAX:
            _ASKED.clear()
        said = _ASKED[cond] = statement(raw, ph)
    return said


def information_note(asks: tuple[str, ...]) -> str:
    """The trace's reason for a rule that could not be decided without more information."""
    return "may apply, but needs: " + "; ".join(asks)


def explain_information_needed(
    policy: CompiledPolicy, rule: CompiledRule, asks: tuple[str, ...]
) -> str:
    """A request the rule may cover but cannot decide yet: say what is missing."""
    return (
        f"{VERBS[Outcome.review]} under {policy.cite(rule.clause)}: {rule.description} "
        f"Before it can be decided we need to know {lb.words(list(asks))}."
    )
