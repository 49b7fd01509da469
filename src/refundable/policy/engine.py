"""decide(policy, request) -> Decision: pure, deterministic, and explained.

The rules of a compiled policy are tried in order and the first whose situation (``when``)
matches decides, so a policy reads top to bottom like the business's own text. A matching rule
can still deny: the request may fall outside the policy's request window or miss one of the
rule's requirements; the decision then cites both the rule and what was missing, which is
what an agent needs to tell the customer. A rule that declares the facts it ``needs`` asks
for a missing one (a review naming it) instead of reading its absence as a "no".

A fact the request leaves out is never held against the customer (ADR 0082): where a
requirement or the request window cannot be checked for want of a fact, and where a denial
would follow only because a better rule was passed over for want of one, the decision asks
for it instead. No I/O and no clock: the request carries every instant, and the same inputs
always give an equal Decision.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from refundable.core.errors import InputError
from refundable.core.money import FxRate, FxTable
from refundable.policy.compiled import CompiledPolicy, CompiledRule
from refundable.policy.cond import EVERY, missing_items, truth3
from refundable.policy.conditions import Cond
from refundable.policy.decision import (
    Deadline,
    Decision,
    InformationNeeded,
    TraceStatus,
    TraceStep,
)
from refundable.policy.document import Outcome, Remedy
from refundable.policy.facts import Request
from refundable.policy.requests import require_what_policy_reads
from refundable.policy.settlement import settle, zero
from refundable.policy.wording import (
    VERBS,
    explain_applied,
    explain_information_needed,
    explain_refused,
    information_note,
    narrate,
    nothing_due,
    with_deadlines,
)

_EMPTY_FX = FxTable()


def decide(policy: CompiledPolicy, request: Request) -> Decision:
    """Decide one request under one compiled policy version."""
    if request.policy != policy.id:
        raise InputError(
            f"request names policy {request.policy!r} but was given {policy.id!r}",
            where="policy",
            allowed=policy.id,
        )
    require_what_policy_reads(policy, request)
    trace: list[TraceStep] = []
    for rule in policy.plans[request.reason]:
        if type(rule) is tuple:  # rules that cannot apply to this reason: precomputed steps
            trace.extend(rule)
            continue
        assert isinstance(rule, CompiledRule)
        skipped = _first_failing(rule, request)
        if skipped is not None:
            missing = _unknown_situation(rule, request, skipped) if rule.asks else ()
            if missing:
                rest = policy.not_reached_after[rule.index]
                return _information_needed(policy, rule, request, trace, rest, missing)
            trace.append(skipped)
            continue
        rest = policy.not_reached_after[rule.index]
        window = policy.window
        if rule.windowed and window is not None and not window.cond.test(request):
            missing = _unknown(window.cond, request)
            if missing:  # the window runs from a fact the request lacks: ask for it
                return _information_needed(policy, rule, request, trace, rest, missing)
            asked = _passed_over(policy, request, rule.index, trace)
            if asked is not None:
                return asked
            trace.append(_step(rule.outside_window, rule, TraceStatus.outside_window, window.cond))
            return _refused(policy, rule, request, (*trace, *rest), window.cond, window.clause)
        failed, missing = _requirements(rule, request)
        if failed is not None:
            asked = _passed_over(policy, request, rule.index, trace)
            if asked is not None:
                return asked
            req = rule.requires[failed]
            steps = rule.requirement_failed
            known = steps[failed] if failed < len(steps) else None
            trace.append(_step(known, rule, TraceStatus.requirement_failed, req.cond))
            return _refused(
                policy, rule, request, (*trace, *rest), req.cond, req.clause, req.explain
            )
        if missing:
            return _information_needed(policy, rule, request, trace, rest, missing)
        if rule.then.outcome is Outcome.deny:
            asked = _passed_over(policy, request, rule.index, trace)
            if asked is not None:
                return asked
        assert rule.applied is not None  # set by the loader
        trace.append(rule.applied)
        return _apply(policy, rule, request, (*trace, *rest))
    if policy.document.default.outcome is Outcome.deny:
        asked = _passed_over(policy, request, len(policy.rules), trace)
        if asked is not None:
            return asked
    return _default(policy, request, tuple(trace))


def _first_failing(rule: CompiledRule, request: Request) -> TraceStep | None:
    """The precomputed trace step of the first condition of ``when`` that fails, if any."""
    for i, c in enumerate(rule.when):
        if not c.test(request):
            return rule.not_applicable[i]
    return None


def _step(
    known: TraceStep | None, rule: CompiledRule, status: TraceStatus, cond: Cond
) -> TraceStep:
    """The rule's precomputed step for this condition (no allocation, and its sentences are
    memoised per policy: policy/trace_text.py), or a new one if the rule was built by hand."""
    if known is not None and known.cond is cond:
        return known
    return TraceStep(rule.id, rule.clause, status, cond)


def _unknown_situation(rule: CompiledRule, r: Request, skipped: TraceStep) -> tuple[str, ...]:
    """What the rule needs and lacks, when only that stops its situation from matching: no
    condition of ``when`` is known to fail and at least one depends on a missing fact."""
    # The condition that failed its two-valued test is the likeliest to be known false: if
    # it is, nothing is missing, whatever the others say (checked first, same answer).
    if skipped.cond is not None and truth3(skipped.cond, r, rule.needed) is False:
        return ()
    missing: list[str] = []
    for c in rule.when:
        value = truth3(c, r, rule.needed)
        if value is False:
            return ()
        if value is None:
            missing.extend(missing_items(c, r, rule.needed))
    return tuple(dict.fromkeys(missing))


def _requirements(rule: CompiledRule, r: Request) -> tuple[int | None, tuple[str, ...]]:
    """The index of the first requirement known to fail (the request is denied), else what
    the unknown ones need (the rule asks for it). A known failure wins: asking for a fact is
    pointless when the request fails anyway. A requirement is unknown when it fails only
    for want of a fact, declared in ``needs`` or not: a requirement is what a denial rests
    on, so its facts are always asked for (ADR 0082)."""
    missing: list[str] = []
    for i, req in enumerate(rule.requires):
        if req.cond.test(r):
            continue
        value = truth3(req.cond, r, EVERY)
        if value is None:
            missing.extend(missing_items(req.cond, r, EVERY))
        elif not value:
            return i, ()
    return None, tuple(dict.fromkeys(missing))


def _unknown(cond: Cond, r: Request) -> tuple[str, ...]:
    """What a failing condition lacks, when only a missing fact makes it fail."""
    if truth3(cond, r, EVERY) is not None:
        return ()
    return missing_items(cond, r, EVERY)


def _passed_over(
    policy: CompiledPolicy, r: Request, upto: int, trace: list[TraceStep]
) -> Decision | None:
    """Before a denial: the first earlier rule about this very reason, with a better outcome,
    that was passed over only because the request lacks a fact, asking for that fact (ADR
    0082). Rules that name no reason (a catch-all by what was charged) are not asked about: a
    request about failed messages names no charge, and is not asked what one paid for. Runs
    on the denial path only, so approvals cost nothing more."""
    for rule in policy.rules[:upto]:
        if rule.then.outcome is Outcome.deny or not any(c.fact == "reason" for c in rule.when):
            continue  # a rule of another reason was never reached here (its step says so)
        missing: list[str] = []
        for c in rule.when:
            if c.test(r):
                continue
            found = _unknown(c, r)
            if not found:
                break  # known not to apply
            missing.extend(found)
        else:
            if missing:
                rest = policy.not_reached_after[rule.index]
                before = trace[: rule.index]
                return _information_needed(
                    policy, rule, r, before, rest, tuple(dict.fromkeys(missing))
                )
    return None


def _information_needed(
    policy: CompiledPolicy,
    rule: CompiledRule,
    r: Request,
    trace: list[TraceStep],
    rest: tuple[TraceStep, ...],
    missing: tuple[str, ...],
) -> Decision:
    """The rule may apply but needs facts the request lacks: review, asking for them by name,
    rather than a denial built on a default the customer never stated."""
    needed = tuple(InformationNeeded(item, rule.ask(item)) for item in missing)
    asks = tuple(n.ask for n in needed)
    step = TraceStep(
        rule.id, rule.clause, TraceStatus.information_needed, note=information_note(asks)
    )
    return _without_amount(
        policy,
        r,
        (*trace, step, *rest),
        Outcome.review,
        Remedy.none,
        rule.id,
        rule.cites,
        lambda: explain_information_needed(policy, rule, asks),
        needed,
    )


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
    money = settle(policy, rule, r, currency, fx)
    outcome = Outcome.deny if money.refused else then.outcome
    clauses = rule.cites
    if money.fees:
        clauses = tuple(dict.fromkeys((*clauses, *(f.clause for f in money.fees))))
    units = rule.units(r) if rule.units is not None else None
    decide_by = _decide_by(policy, r)
    pay_by = None
    if outcome is Outcome.approve and then.remedy is Remedy.refund and money.net.is_positive:
        pay_by = _pay_by(policy, rule, r, decide_by)

    def explain() -> str:
        if money.nothing:
            text = nothing_due(policy, rule, money)
        else:
            text = explain_applied(policy, rule, outcome, money, units)
        return with_deadlines(text, decide_by, pay_by, policy)

    return Decision(
        policy=policy.id,
        policy_version=policy.version,
        outcome=outcome,
        remedy=Remedy.none if money.refused else then.remedy,
        rule=rule.id,
        clauses=clauses,
        currency=currency,
        gross=money.gross,
        fees=money.fees,
        net=money.net,
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
        basis=money.basis,
        narrate=lambda step: narrate(policy, r, step),
        policy_ref=policy,
    )


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
        return explain_refused(policy, rule, r, cond, clause, explain)

    clauses = tuple(dict.fromkeys((clause, rule.clause)))
    return _without_amount(policy, r, trace, Outcome.deny, Remedy.none, rule.id, clauses, sentence)


def _default(policy: CompiledPolicy, r: Request, trace: tuple[TraceStep, ...]) -> Decision:
    d = policy.document.default

    def sentence() -> str:
        return f"{VERBS[d.outcome]} under {policy.cite(d.clause)}: {d.explanation}"

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
    information_needed: tuple[InformationNeeded, ...] = (),
) -> Decision:
    """A decision that moves no money: a refusal, a question, or the policy's default."""
    currency = _currency(policy, r)
    decide_by = _decide_by(policy, r)
    nil = zero(currency)
    return Decision(
        policy=policy.id,
        policy_version=policy.version,
        outcome=outcome,
        remedy=remedy,
        rule=rule,
        clauses=clauses,
        currency=currency,
        gross=nil,
        fees=(),
        net=nil,
        units=None,
        decide_by=decide_by,
        pay_by=None,
        explain=lambda: with_deadlines(sentence(), decide_by, None, policy),
        required_information=policy.required_information,
        appeal=policy.appeal,
        information_needed=information_needed,
        trace=trace,
        request=r,
        narrate=lambda step: narrate(policy, r, step),
        policy_ref=policy,
    )


def _decide_by(policy: CompiledPolicy, r: Request) -> Deadline | None:
    if policy.review is None:
        return None
    at = policy.review.deadline(r.requested_at, policy.calendar)
    return Deadline(at, policy.review.clause, policy.review.decision_text)


def _pay_by(
    policy: CompiledPolicy, rule: CompiledRule, r: Request, decide_by: Deadline | None
) -> Deadline | None:
    start = r.decided_at or r.requested_at
    promises = [p for p in (rule.payout or policy.payout,) if p is not None]
    method = r.charge.payment_method if r.charge is not None else None
    if method is not None and method in policy.payout_by_method:
        promises.append(policy.payout_by_method[method])
    # The same span from the same instant is the same deadline: policies often promise a
    # decision and a payment in the same number of business days, and a decision made on
    # receipt starts both clocks at once (each deadline walks the business calendar).
    known: dict[tuple[str, int], datetime] = {}
    review = policy.review
    if decide_by is not None and review is not None and start is r.requested_at:
        known[review.unit, review.n] = decide_by.at
    best: Deadline | None = None
    for p in promises:
        at = known.get((p.unit, p.n))
        if at is None:
            at = known[p.unit, p.n] = p.deadline(start, policy.calendar)
        if best is None or at > best.at:
            best = Deadline(at, p.clause, p.payment_text)
    return best
