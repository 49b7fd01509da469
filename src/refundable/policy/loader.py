"""Loading a policy file: a short pipeline that reports every problem at once.

read YAML (lines kept) -> validate the shape (pydantic) -> check cross-references (clauses,
rule ids, fees, parameters) -> compile conditions and amounts. Each stage adds problems with
file:line instead of stopping at the first, so an author fixes a file in one pass (the
Beancount loader's habit). Only a file without problems becomes a CompiledPolicy.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from refundable.adapters.holiday_calendar import jurisdiction
from refundable.core.errors import InputError, PolicyInvalid, Problem
from refundable.core.money import Money, Rounding
from refundable.core.textinput import printable
from refundable.core.time import (
    BusinessCalendar,
    BusinessHours,
    HolidaySource,
    WeekendSource,
    load_zone,
    no_holidays,
)
from refundable.policy import checks
from refundable.policy.amounts import AmountSpec, CompiledFee
from refundable.policy.compiled import (
    CompiledPolicy,
    CompiledRule,
    FeeChoice,
    PromiseSpec,
    Requirement,
    Window,
    compile_needs,
    not_reached_after,
    reason_plans,
    with_trace_steps,
)
from refundable.policy.conditions import CompileContext, compile_condition, leaves
from refundable.policy.document import AmountDoc, Fee, HigherOf, PolicyDocument, Promise, Rule
from refundable.policy.factpaths import FACTS
from refundable.policy.guards import condition_hazards
from refundable.policy.labels import appeal_text
from refundable.policy.shapes import shape_problems
from refundable.policy.yamlsource import LineDict, LineList, line_at, load_yaml, read_yaml

_POLICY_KEYS = "a policy document: policy, name, version, ..., clauses, rules, default"


def load_policy_file(path: Path) -> CompiledPolicy:
    """Load and compile one policy file; raise PolicyInvalid listing every problem."""
    data, problems = read_yaml(path)
    return _finish(data, problems, str(path), path)


def load_policy_text(text: str, file: str = "<policy>") -> CompiledPolicy:
    data, problems = load_yaml(text, file)
    return _finish(data, problems, file, None)


def _finish(data: Any, problems: list[Problem], file: str, path: Path | None) -> CompiledPolicy:
    if data is None:
        # A syntax error leaves nothing to check further; a duplicate key does not, so the
        # stages below still run and report their problems in the same pass.
        raise PolicyInvalid(
            _ordered(problems or [Problem(file, None, "the file is empty", _POLICY_KEYS)])
        )
    doc = _validate(data, file, problems)
    if doc is None:
        raise PolicyInvalid(_ordered(problems))
    checks.cross_references(doc, data, file, problems)
    hazards = condition_hazards(data, file, _params(doc))
    if hazards:  # compiling these would crash: report what we have instead
        raise PolicyInvalid(_ordered(problems + hazards))
    compiled = _compile(doc, data, file, path, problems)
    if problems:
        raise PolicyInvalid(_ordered(problems))
    return compiled


def _ordered(problems: list[Problem]) -> list[Problem]:
    """Problems in line order, each printable: a value may hold control characters (a
    double-quoted "\\e[31m" in the file) and must never drive the reader's terminal."""
    clean = [
        Problem(
            printable(p.file),
            p.line,
            printable(p.message),
            printable(p.allowed) if p.allowed is not None else None,
        )
        for p in problems
    ]
    return sorted(clean, key=lambda p: (p.line or 0, p.message))


def _validate(data: Any, file: str, problems: list[Problem]) -> PolicyDocument | None:
    if not isinstance(data, dict):
        problems.append(
            Problem(file, getattr(data, "line", 1), "a policy is a mapping", _POLICY_KEYS)
        )
        return None
    what = _not_a_policy(data)
    if what is not None:
        problems.append(Problem(file, getattr(data, "line", 1), what, _POLICY_KEYS))
        return None
    try:
        return PolicyDocument.model_validate(data)
    except ValidationError as error:
        problems.extend(shape_problems(error, data, file, PolicyDocument))
        return None


def _not_a_policy(data: dict[Any, Any]) -> str | None:
    """A file given where a policy is expected that is something else (a scenario file, a
    request, another YAML file) gets one sentence, not thirty "missing key" problems."""
    keys = {k for k in data if isinstance(k, str)}
    if "scenarios" in keys:
        return "this is a scenario file, not a policy"
    if keys & {"requested_at", "reason", "charge"}:
        return "this is a refund request, not a policy"
    if not keys & set(PolicyDocument.model_fields):
        return "this is not a policy document: none of its keys is a policy key"
    return None


def _calendar(
    doc: PolicyDocument, data: LineDict, file: str, problems: list[Problem]
) -> BusinessCalendar:
    try:
        zone = load_zone(doc.timezone)
    except InputError as error:
        problems.append(Problem(file, data.line_of("timezone"), error.message, error.allowed))
        zone = load_zone("UTC")
    cal = doc.calendar
    source: HolidaySource = no_holidays
    weekend: tuple[frozenset[int], WeekendSource | None] = (frozenset({5, 6}), None)
    if cal.country:
        try:
            place = jurisdiction(cal.country, cal.subdivision)
            source, weekend = place.holidays, (place.weekend, place.weekend_days)
        except InputError as error:
            problems.append(
                Problem(file, line_at(data, ("calendar", "country")), error.message, error.allowed)
            )
    try:
        hours = BusinessHours(cal.business_hours.opens, cal.business_hours.closes)
    except InputError as error:
        problems.append(
            Problem(
                file, line_at(data, ("calendar", "business_hours")), error.message, error.allowed
            )
        )
        hours = BusinessHours(cal.business_hours.closes, cal.business_hours.opens)
    extra = {h.date: h.name for h in cal.extra_holidays}
    name = f"{doc.policy} {doc.version}"
    return BusinessCalendar(zone, hours, source, extra, weekend[0], name, weekend[1])


def _params(doc: PolicyDocument) -> dict[str, Decimal]:
    return {name: Decimal(p.value) for name, p in doc.parameters.items()}


def _promise(p: Promise | None, ctx: CompileContext) -> PromiseSpec | None:
    if p is None:
        return None
    unit = (
        "business_days"
        if p.business_days is not None
        else "days"
        if p.days is not None
        else "hours"
    )
    raw = getattr(p, unit)
    n = ctx.params.get(raw.param, Decimal(0)) if hasattr(raw, "param") else Decimal(raw)
    return PromiseSpec(unit, int(n), p.clause)


def _compile(
    doc: PolicyDocument, data: LineDict, file: str, path: Path | None, problems: list[Problem]
) -> CompiledPolicy:
    calendar = _calendar(doc, data, file, problems)
    ctx = CompileContext(file, calendar, _params(doc), problems)
    fees = {fid: _fee(fid, fee, ctx) for fid, fee in doc.fees.items()}
    window = None
    covered: set[str] = set()
    w = doc.process.request_window
    if w is not None:
        unit = next(u for u in ("days", "hours", "business_days") if getattr(w, u) is not None)
        raw = {"within": {unit: _raw_number(getattr(w, unit)), "of": w.of}}
        cond = compile_condition(raw, ctx)
        window = Window(cond, w.clause, cond.text)
        covered = set(w.covers)
    raw_rules: LineList = data.get("rules", LineList())
    rules = tuple(
        with_trace_steps(
            _rule(rule, raw_rules[i], fees, ctx, rule.id in covered),
            i,
            window.cond if window is not None else None,
        )
        for i, rule in enumerate(doc.rules)
    )
    p = doc.process
    appeal = appeal_text(p.appeal)
    return CompiledPolicy(
        id=doc.policy,
        version=doc.version,
        effective_from=doc.effective_from,
        document=doc,
        path=path,
        calendar=calendar,
        rounding=Rounding[doc.settings.rounding],
        day_count=doc.settings.day_count,
        refund_currency=doc.settings.refund_currency,
        rules=rules,
        window=window,
        review=_promise(p.review, ctx),
        payout=_promise(p.payout, ctx),
        payout_by_method={
            m: s for m, pr in p.payout_by_method.items() if (s := _promise(pr, ctx)) is not None
        },
        required_information=tuple(i.item for i in p.required_information),
        appeal=appeal,
        clause_titles={c.id: c.title for c in doc.clauses},
        not_reached_after=not_reached_after(rules),
        plans=reason_plans(rules),
        starts_at=datetime.combine(doc.effective_from, time.min, tzinfo=calendar.zone),
    )


def _raw_number(value: Any) -> Any:
    return {"param": value.param} if hasattr(value, "param") else str(value)


def _number(value: Any, ctx: CompileContext) -> Decimal:
    if value is None:
        return Decimal(0)
    if hasattr(value, "param"):
        return ctx.params.get(value.param, Decimal(0))
    return Decimal(value)


def _fee(fid: str, fee: Fee, ctx: CompileContext) -> CompiledFee:
    return CompiledFee(
        id=fid,
        clause=fee.clause,
        description=fee.description,
        percent=_number(fee.percent, ctx) if fee.percent is not None else None,
        fixed=Money(fee.fixed.amount, fee.fixed.currency) if fee.fixed else None,
        minimum=Money(fee.minimum.amount, fee.minimum.currency) if fee.minimum else None,
        no_refund_if_exceeds=fee.no_refund_if_exceeds,
    )


def _rule(
    rule: Rule, raw: Any, fees: dict[str, CompiledFee], ctx: CompileContext, windowed: bool
) -> CompiledRule:
    raw_when = raw.get("when") if isinstance(raw, dict) else None
    when = tuple(leaves(raw_when, ctx)) if isinstance(raw_when, dict) else ()
    raw_requires = raw.get("requires", []) if isinstance(raw, dict) else []
    requires = tuple(
        Requirement(
            compile_condition(item["condition"], ctx, item, "condition"),
            req.clause or rule.clause,
            req.explain,
        )
        for req, item in zip(rule.requires, raw_requires, strict=False)
    )
    then = rule.then
    units = None
    if then.units is not None:
        fact = FACTS.get(then.units.fact)
        if fact is None or fact.kind != "int":
            ctx.problem(
                raw.get("then"),
                "units",
                f"units: {then.units.fact!r} is not a whole-number fact",
                ", ".join(p for p, f in FACTS.items() if f.kind == "int"),
            )
        else:
            units = fact.get
    choices = tuple(
        FeeChoice(
            tuple(
                fees[f]
                for f in (ref.higher_of if isinstance(ref, HigherOf) else [ref])
                if f in fees
            )
        )
        for ref in then.fees
    )
    return CompiledRule(
        id=rule.id,
        clause=rule.clause,
        also_cites=tuple(rule.also_cites),
        description=rule.description,
        when=when,
        requires=requires,
        then=then,
        amount=_amount(then.amount, raw, ctx),
        units=units,
        fees=tuple(c for c in choices if c.options),
        payout=_promise(then.payout, ctx),
        windowed=windowed,
        needs=compile_needs(rule, raw, ctx),
    )


def _amount(doc: AmountDoc | None, raw: Any, ctx: CompileContext) -> AmountSpec | None:
    if doc is None:
        return None

    def instant(path: str | None, key: str) -> Any:
        if path is None:
            return None
        fact = FACTS.get(path)
        if fact is None or fact.kind != "instant":
            node = raw.get("then", {}).get("amount") if isinstance(raw, dict) else None
            ctx.problem(
                node,
                key,
                f"amount.{key}: {path!r} is not an instant of the request",
                ", ".join(p for p, f in FACTS.items() if f.kind == "instant"),
            )
            return None
        return fact.get

    return AmountSpec(
        formula=doc.formula,
        as_of=instant(doc.as_of, "as_of"),
        start=instant(doc.start, "from"),
        end=instant(doc.end, "to"),
        percent=_number(doc.percent, ctx) if doc.percent is not None else None,
        fixed=Money(doc.fixed.amount, doc.fixed.currency) if doc.fixed else None,
    )
