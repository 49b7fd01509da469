"""decide(policy, request) -> Decision: pure, deterministic, and explained.

The rules of a compiled policy are tried in order and the first whose situation (``when``)
matches decides, so a policy reads top to bottom like the business's own text. A matching rule
can still deny: the request may fall outside the policy's request window or miss one of the
rule's requirements; the decision then cites both the rule and what was missing, which is
what an agent needs to tell the customer. No I/O and no clock: the request carries every
instant, and the same inputs always give an equal Decision.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from refundable.core.errors import InputError
from refundable.core.money import FxRate, FxTable, Money
from refundable.policy.amounts import compute_gross, convert_and_cap, fee_amount, rate_text
from refundable.policy.compiled import CompiledPolicy, CompiledRule, FeeChoice
from refundable.policy.conditions import Cond
from refundable.policy.decision import Deadline, Decision, FeeLine, TraceStep
from refundable.policy.document import Formula, Outcome, Remedy
from refundable.policy.facts import Request

_EMPTY_FX = FxTable()


def decide(policy: CompiledPolicy, request: Request) -> Decision:
    """Decide one request under one compiled policy version."""
    if request.policy != policy.id:
        raise InputError(
            f"request names policy {request.policy!r} but was given {policy.id!r}",
            where="policy",
            allowed=policy.id,
        )
    trace: list[TraceStep] = []
    for rule in policy.plans[request.reason]:
        if type(rule) is tuple:  # rules that cannot apply to this reason: precomputed steps
            trace.extend(rule)
            continue
        assert isinstance(rule, CompiledRule)
        skipped = _first_failing(rule, request)
        if skipped is not None:
            trace.append(skipped)
            continue
        rest = policy.not_reached_after[rule.index]
        window = policy.window
        if rule.windowed and window is not None and not window.cond.test(request):
            trace.append(TraceStep(rule.id, rule.clause, "outside_window", window.cond))
            return _refused(policy, rule, request, (*trace, *rest), window.cond, window.clause)
        for req in rule.requires:
            if not req.cond.test(request):
                trace.append(TraceStep(rule.id, rule.clause, "requirement_failed", req.cond))
                return _refused(
                    policy, rule, request, (*trace, *rest), req.cond, req.clause, req.explain
                )
        assert rule.applied is not None  # set by the loader
        trace.append(rule.applied)
        return _apply(policy, rule, request, (*trace, *rest))
    return _default(policy, request, tuple(trace))


def _first_failing(rule: CompiledRule, request: Request) -> TraceStep | None:
    """The precomputed trace step of the first condition of ``when`` that fails, if any."""
    for i, c in enumerate(rule.when):
        if not c.test(request):
            return rule.not_applicable[i]
    return None


def _zero(currency: str) -> Money:
    """A rounded zero ("0.00"), so every amount in a decision has the currency's decimals."""
    return _ZEROS.get(currency) or _ZEROS.setdefault(currency, Money.zero(currency).round())


_ZEROS: dict[str, Money] = {}


def _currency(policy: CompiledPolicy, r: Request) -> str:
    if policy.refund_currency:
        return policy.refund_currency
    if r.charge is not None:
        return r.charge.currency
    return r.account.currency or policy.document.currency


def _fx(r: Request) -> FxTable:
    if not r.fx:
        return _EMPTY_FX
    return FxTable(tuple(FxRate.parse(pair, rate) for pair, rate in r.fx.items()))


def _apply(
    policy: CompiledPolicy, rule: CompiledRule, r: Request, trace: tuple[TraceStep, ...]
) -> Decision:
    then = rule.then
    currency = _currency(policy, r)
    fx = _fx(r)
    gross, basis = _zero(currency), _no_basis
    if rule.amount is not None:
        computed = compute_gross(rule.amount, r, policy.calendar.zone, policy.day_count)
        gross, rate = convert_and_cap(computed, currency, fx, policy.rounding)
        basis = _basis(computed.basis, rate)
    fees: tuple[FeeLine, ...] = ()
    if then.remedy is Remedy.refund and gross.is_positive:
        fees = tuple(_charge_fee(choice, gross, fx, policy) for choice in rule.fees)
    net = gross
    for fee in fees:
        net = net - fee.amount
    net = net.max(_zero(currency))  # fees never turn a refund into a debt
    outcome, clauses = then.outcome, rule.cites
    if fees:
        clauses = tuple(dict.fromkeys((*clauses, *(f.clause for f in fees))))
    eaten = bool(fees) and not net.is_positive and _no_refund_if_exceeds(rule)
    nothing = _nothing_due(rule, gross)
    if eaten or nothing:
        outcome, net = Outcome.deny, _zero(currency)
    units = rule.units(r) if rule.units is not None else None
    decide_by = _decide_by(policy, r)
    pay_by = None
    if outcome is Outcome.approve and then.remedy is Remedy.refund and net.is_positive:
        pay_by = _pay_by(policy, rule, r)

    def explain() -> str:
        if nothing:
            text = (
                f"Denied: the request falls under {policy.cite(rule.clause)}, but nothing is "
                f"due ({basis()})."
            )
        else:
            text = _explain_applied(policy, rule, outcome, gross, fees, net, units, basis(), eaten)
        return _with_deadlines(text, decide_by, pay_by, policy)

    return Decision(
        policy=policy.id,
        policy_version=policy.version,
        outcome=outcome,
        remedy=Remedy.none if eaten or nothing else then.remedy,
        rule=rule.id,
        clauses=clauses,
        currency=currency,
        gross=gross,
        fees=fees,
        net=net,
        units=units,
        decide_by=decide_by,
        pay_by=pay_by,
        explain=explain,
        factors=rule.factors,
        alternatives=rule.alternatives,
        notes=rule.notes,
        required_information=policy.required_information,
        appeal=policy.appeal,
        fx_used=fx.rates,
        trace=trace,
        request=r,
        basis=basis,
    )


def _no_basis() -> str:
    return ""


def _basis(gross_basis: Callable[[], str], rate: FxRate | None) -> Callable[[], str]:
    if rate is None:
        return gross_basis
    return lambda: f"{gross_basis()}; converted at {rate_text(rate)}"


def _nothing_due(rule: CompiledRule, gross: Money) -> bool:
    """An approving rule whose formula comes to zero (no overcharge, an empty wallet) has
    nothing to give: that is a denial, not an approval of zero."""
    return (
        rule.then.outcome is not Outcome.deny
        and rule.amount is not None
        and rule.amount.formula is not Formula.none
        and not gross.is_positive
    )


def _no_refund_if_exceeds(rule: CompiledRule) -> bool:
    return any(o.no_refund_if_exceeds for choice in rule.fees for o in choice.options)


def _charge_fee(choice: FeeChoice, gross: Money, fx: FxTable, policy: CompiledPolicy) -> FeeLine:
    """The fee of one choice; for a higher-of choice only the highest option is charged."""
    best: FeeLine | None = None
    for option in choice.options:
        amount, basis = fee_amount(option, gross, fx, policy.rounding)
        if best is None or amount > best.amount:
            best = FeeLine(option.id, option.clause, option.description, amount, basis)
    assert best is not None  # a choice always has at least one option (loader)
    if len(choice.options) > 1:
        others = ", ".join(o.id for o in choice.options if o.id != best.id)
        best = FeeLine(
            best.id,
            best.clause,
            best.description,
            best.amount,
            f"{best.basis}; the higher of this and {others}, never both",
        )
    return best


def _refused(
    policy: CompiledPolicy,
    rule: CompiledRule,
    r: Request,
    trace: tuple[TraceStep, ...],
    cond: Cond,
    clause: str,
    explain: str | None = None,
) -> Decision:
    """The rule's situation matched but a requirement (or the window) did not hold."""

    def sentence() -> str:
        missing = explain or f"the policy requires {cond.text}"
        source = "" if clause == rule.clause else f" ({policy.cite(clause)})"
        return (
            f"Denied: the request falls under {policy.cite(rule.clause)}, but {missing}"
            f"{source}; {cond.actual(r)}."
        )

    clauses = tuple(dict.fromkeys((clause, rule.clause)))
    return _without_amount(policy, r, trace, Outcome.deny, Remedy.none, rule.id, clauses, sentence)


def _default(policy: CompiledPolicy, r: Request, trace: tuple[TraceStep, ...]) -> Decision:
    d = policy.document.default

    def sentence() -> str:
        return f"{_VERBS[d.outcome]} under {policy.cite(d.clause)}: {d.explanation}"

    return _without_amount(policy, r, trace, d.outcome, d.remedy, None, (d.clause,), sentence)


def _without_amount(
    policy: CompiledPolicy,
    r: Request,
    trace: tuple[TraceStep, ...],
    outcome: Outcome,
    remedy: Remedy,
    rule: str | None,
    clauses: tuple[str, ...],
    sentence: Callable[[], str],
) -> Decision:
    """A decision that moves no money: a refusal, or the policy's default."""
    currency = _currency(policy, r)
    decide_by = _decide_by(policy, r)
    zero = _zero(currency)
    return Decision(
        policy=policy.id,
        policy_version=policy.version,
        outcome=outcome,
        remedy=remedy,
        rule=rule,
        clauses=clauses,
        currency=currency,
        gross=zero,
        fees=(),
        net=zero,
        units=None,
        decide_by=decide_by,
        pay_by=None,
        explain=lambda: _with_deadlines(sentence(), decide_by, None, policy),
        required_information=policy.required_information,
        appeal=policy.appeal,
        trace=trace,
        request=r,
    )


def _decide_by(policy: CompiledPolicy, r: Request) -> Deadline | None:
    if policy.review is None:
        return None
    at = policy.review.deadline(r.requested_at, policy.calendar)
    return Deadline(at, policy.review.clause, policy.review.decision_text)


def _pay_by(policy: CompiledPolicy, rule: CompiledRule, r: Request) -> Deadline | None:
    start = r.decided_at or r.requested_at
    promises = [p for p in (rule.payout or policy.payout,) if p is not None]
    method = r.charge.payment_method if r.charge is not None else None
    if method is not None and method in policy.payout_by_method:
        promises.append(policy.payout_by_method[method])
    best: Deadline | None = None
    for p in promises:
        at = p.deadline(start, policy.calendar)
        if best is None or at > best.at:
            best = Deadline(at, p.clause, p.payment_text)
    return best


_VERBS = {
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


def _explain_applied(
    policy: CompiledPolicy,
    rule: CompiledRule,
    outcome: Outcome,
    gross: Money,
    fees: tuple[FeeLine, ...],
    net: Money,
    units: int | None,
    basis: str,
    eaten: bool,
) -> str:
    then = rule.then
    parts = [f"{_VERBS[outcome]} under {policy.cite(rule.clause)}: {rule.description}"]
    if eaten:
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


def _with_deadlines(
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
