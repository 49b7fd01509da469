"""Cross-reference checks a schema cannot express.

Every clause of the source must be accounted for (cited by something, or informational with a
reason); every citation must name a listed clause; rule ids, fee ids and parameters must
resolve; a formula must have the inputs it needs. Each finding is a Problem at its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from refundable.core import limits
from refundable.core.errors import Problem
from refundable.policy.document import (
    SPAN_BOUNDS,
    Formula,
    HigherOf,
    Outcome,
    Param,
    PolicyDocument,
    Remedy,
    Span,
)
from refundable.policy.yamlsource import line_at

Loc = tuple[Any, ...]


def citations(doc: PolicyDocument) -> Iterator[tuple[str, Loc]]:
    """Every clause the document cites, with where it cites it."""
    p = doc.process
    for name, promise in (
        ("review", p.review),
        ("payout", p.payout),
        ("appeal", p.appeal),
        ("request_window", p.request_window),
    ):
        if promise is not None:
            yield promise.clause, ("process", name, "clause")
    for i, item in enumerate(p.required_information):
        yield item.clause, ("process", "required_information", i, "clause")
    for method, promise in p.payout_by_method.items():
        yield promise.clause, ("process", "payout_by_method", method, "clause")
    for fid, fee in doc.fees.items():
        yield fee.clause, ("fees", fid, "clause")
    for name, param in doc.parameters.items():
        yield param.clause, ("parameters", name, "clause")
    for section in ("wallet", "credits"):
        part = getattr(doc, section)
        if part is not None:
            yield part.clause, (section, "clause")
    yield doc.default.clause, ("default", "clause")
    if doc.lifecycle is not None:  # lifecycle rules run by refundable.billing
        yield from doc.lifecycle.citations()
    if doc.changes is not None:  # notice of policy changes (service.policy_notice)
        yield doc.changes.clause, ("changes", "clause")
    if doc.cases is not None:  # process promises kept by refund cases
        yield from doc.cases.citations()
    for i, rule in enumerate(doc.rules):
        yield rule.clause, ("rules", i, "clause")
        for j, c in enumerate(rule.also_cites):
            yield c, ("rules", i, "also_cites", j)
        for j, req in enumerate(rule.requires):
            if req.clause:
                yield req.clause, ("rules", i, "requires", j, "clause")
        if rule.then.payout is not None:
            yield rule.then.payout.clause, ("rules", i, "then", "payout", "clause")


def cross_references(doc: PolicyDocument, data: Any, file: str, problems: list[Problem]) -> None:
    def add(loc: Loc, message: str, allowed: str | None = None) -> None:
        problems.append(Problem(file, line_at(data, loc), message, allowed))

    clause_ids = [c.id for c in doc.clauses]
    _unique(clause_ids, "clause", "clauses", add)
    _unique([r.id for r in doc.rules], "rule", "rules", add)
    known = set(clause_ids)
    cited: set[str] = set()
    for clause, loc in citations(doc):
        cited.add(clause)
        if clause not in known:
            add(
                loc,
                f"cites clause {clause!r}, which is not listed under clauses",
                "a clause id from the clauses list: " + ", ".join(clause_ids),
            )
    _rules(doc, add)
    _promise_params(doc, add)
    for i, reading in enumerate(doc.readings):
        if reading.clause not in known:
            add(("readings", i, "clause"), f"reading of unknown clause {reading.clause!r}")
    for i, c in enumerate(doc.clauses):
        if c.id not in cited and not c.informational and not c.implemented_by:
            add(
                ("clauses", i, "id"),
                f"clause {c.id} ({c.title}) is neither cited by a rule nor informational",
                "cite it from a rule, process, fee or parameter, or give informational: <reason>",
            )
    _rule_refs(doc, add)


def _unique(ids: list[str], what: str, section: str, add: Any) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            add((section, i, "id"), f"{what} id {ident!r} is used twice", "unique ids")
        seen.add(ident)


def _rule_refs(doc: PolicyDocument, add: Any) -> None:
    rule_ids = {r.id for r in doc.rules}
    window = doc.process.request_window
    if window is not None:
        for j, rid in enumerate(window.covers):
            if rid not in rule_ids:
                add(
                    ("process", "request_window", "covers", j),
                    f"request window covers unknown rule {rid!r}",
                    ", ".join(sorted(rule_ids)),
                )
    for fid, fee in doc.fees.items():
        _check_number(doc, fee.percent, ("fees", fid, "percent"), add)
    for i, rule in enumerate(doc.rules):
        for j, ref in enumerate(rule.then.fees):
            for fid in ref.higher_of if isinstance(ref, HigherOf) else [ref]:
                if fid not in doc.fees:
                    add(
                        ("rules", i, "then", "fees", j),
                        f"unknown fee {fid!r}",
                        ", ".join(sorted(doc.fees)) or "no fees defined",
                    )
        _check_amount(doc, rule.then.amount, ("rules", i, "then", "amount"), add)


def _check_number(doc: PolicyDocument, value: Any, loc: Loc, add: Any) -> None:
    if isinstance(value, Param):
        if value.param not in doc.parameters:
            add(loc, f"unknown parameter {value.param!r}", ", ".join(sorted(doc.parameters)))
        elif not 0 <= doc.parameters[value.param].value <= limits.MAX_PERCENT:
            add(
                loc,
                f"parameter {value.param} = {doc.parameters[value.param].value} is used as a "
                "percentage and is outside 0..100",
                "0 to 100, the same bounds as a percentage written in place",
            )
        return
    if value is not None and not Decimal(0) <= Decimal(value) <= limits.MAX_PERCENT:
        add(loc, f"percentage {limits.echo(value)} is outside 0..100", "0 to 100")


def _check_amount(doc: PolicyDocument, amount: Any, loc: Loc, add: Any) -> None:
    if amount is None:
        return
    f = amount.formula
    if f is Formula.pro_rata_elapsed and (amount.start is None or amount.end is None):
        add(loc, "pro_rata_elapsed needs from and to", "from: <instant>, to: <instant>")
    if f is Formula.percent_kept:
        if amount.percent is None:
            add(loc, "percent_kept needs percent", "percent: 0..100")
        _check_number(doc, amount.percent, (*loc, "percent"), add)
    if f is Formula.fixed and amount.fixed is None:
        add(loc, "a fixed amount needs fixed: {amount, currency}")


_MONEY_REMEDIES = (Remedy.refund, Remedy.account_credit, Remedy.wallet_credit)


def _rules(doc: PolicyDocument, add: Any) -> None:
    """Rules that validate as shapes but cannot mean what they say."""
    for i, rule in enumerate(doc.rules):
        if not rule.when:
            add(
                ("rules", i, "when"),
                f"rule {rule.id}: when: {{}} would match every request",
                "at least one condition; what applies to every request belongs in default:",
            )
        then = rule.then
        if then.outcome is Outcome.approve and then.remedy in _MONEY_REMEDIES and not then.amount:
            add(
                ("rules", i, "then"),
                f"rule {rule.id} approves a {then.remedy.value} but gives no amount",
                "amount: {formula: full} (or another formula), or outcome: review",
            )
        credits = then.outcome is Outcome.approve and then.remedy is Remedy.message_credits
        if credits and then.units is None:
            add(
                ("rules", i, "then"),
                f"rule {rule.id} approves message credits but gives no units",
                "units: {fact: failed_delivery.units}",
            )


def _promise_params(doc: PolicyDocument, add: Any) -> None:
    """A parameter used as a length of time obeys the bounds of a length written in place."""
    p = doc.process
    spans: list[tuple[Span | None, Loc]] = [
        (p.request_window, ("process", "request_window")),
        (p.review, ("process", "review")),
        (p.payout, ("process", "payout")),
    ]
    spans += [(pr, ("process", "payout_by_method", m)) for m, pr in p.payout_by_method.items()]
    spans += [(r.then.payout, ("rules", i, "then", "payout")) for i, r in enumerate(doc.rules)]
    for span, loc in spans:
        for unit, bound in SPAN_BOUNDS.items():
            value = getattr(span, unit, None) if span is not None else None
            if isinstance(value, Param):
                _span_param(doc, value.param, unit, bound, (*loc, unit), add)


def _span_param(doc: PolicyDocument, name: str, unit: str, bound: int, loc: Loc, add: Any) -> None:
    if name not in doc.parameters:
        add(loc, f"unknown parameter {name!r}", ", ".join(sorted(doc.parameters)) or "none")
        return
    value = doc.parameters[name].value
    if not 0 <= value <= bound or (unit != "hours" and value != int(value)):
        add(
            loc,
            f"parameter {name} = {value} is used as {unit} and is outside 0..{bound:,}"
            + ("" if unit == "hours" else " or not whole"),
            f"a whole number of {unit} from 0 to {bound:,}, the same bounds as a literal",
        )
