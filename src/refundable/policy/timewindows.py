"""Time conditions: ``within`` (a window from an instant) and ``exceeds`` (a duration).

Readings (docs/decisions/0003-business-days.md): calendar days are counted in the policy's
timezone with day N included; hours are elapsed time; business days use the policy's calendar and
are counted after the local day of the event (an event after hours is not moved first), while a
receipt outside business hours counts on the next opening's day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from refundable.core.money import to_decimal
from refundable.core.time import BusinessCalendar, within_calendar_days
from refundable.policy.cond import CompileContext, Cond, never
from refundable.policy.factpaths import FACTS, Fact
from refundable.policy.facts import Request


def _number(node: dict[str, Any], key: str, value: Any, ctx: CompileContext) -> Decimal:
    if isinstance(value, dict) and set(value) == {"param"}:
        name = value["param"]
        if name not in ctx.params:
            ctx.problem(
                node,
                key,
                f"unknown parameter {name!r}",
                ", ".join(sorted(ctx.params)) or "none defined",
            )
            return Decimal(0)
        return ctx.params[name]
    if isinstance(value, bool) or not isinstance(value, int | str):
        ctx.problem(node, key, f"{key} must be a number or {{param: name}}, not {value!r}")
        return Decimal(0)
    try:
        number = to_decimal(value, key)
    except ValueError:
        ctx.problem(node, key, f"{value!r} is not a number")
        return Decimal(0)
    if number < 0:
        ctx.problem(node, key, f"{key} must not be negative")
    return number


def _instant_fact(
    node: dict[str, Any], key: str, ctx: CompileContext, default: str | None
) -> Fact | None:
    path = node.get(key, default)
    fact = FACTS.get(path) if isinstance(path, str) else None
    if fact is None or fact.kind != "instant":
        instants = ", ".join(p for p, f in FACTS.items() if f.kind == "instant")
        if path is None:  # `within` without `of` says what is missing, not "None is ..."
            owner, end = ("within" if key == "of" else "exceeds"), "to" if key == "to" else "from"
            ctx.problem(node, key, f"{owner} needs `{key}:`, the instant it counts {end}", instants)
            return None
        ctx.problem(node, key, f"{key}: {path!r} is not an instant of the request", instants)
        return None
    return fact


def time_condition(raw: dict[str, Any], key: str, value: Any, ctx: CompileContext) -> Cond:
    if not isinstance(value, dict):
        ctx.problem(
            raw, key, f"{key} takes a mapping", "{days|hours|business_days: N, of: <instant>}"
        )
        return never(key)
    units = [u for u in ("days", "hours", "business_days") if u in value]
    allowed_units = ("days", "hours", "business_days") if key == "within" else ("days", "hours")
    if len(units) != 1 or units[0] not in allowed_units:
        ctx.problem(raw, key, f"{key} needs exactly one length", ", ".join(allowed_units))
        return never(key)
    unit = units[0]
    n = _number(value, unit, value[unit], ctx)
    extra = set(value) - {unit, "of", "at", "from", "to"}
    if extra:
        ctx.problem(
            value,
            sorted(extra)[0],
            f"{key}: unexpected key {sorted(extra)[0]!r}",
            f"{unit}, of, at" if key == "within" else f"{unit}, from, to",
        )
    if key == "within":
        start = _instant_fact(value, "of", ctx, None)
        end = _instant_fact(value, "at", ctx, "requested_at")
    else:
        start = _instant_fact(value, "from", ctx, None)
        end = _instant_fact(value, "to", ctx, None)
    if start is None or end is None:
        return never(key)
    if key == "within":
        return _within(unit, n, start, end, ctx.calendar)
    return _exceeds(unit, n, start, end)


def _within(unit: str, n: Decimal, start: Fact, end: Fact, cal: BusinessCalendar) -> Cond:
    of, at = start.get, end.get
    text = f"{end.path} within {_fmt(n)} {unit.replace('_', ' ')} of {start.path}"
    if unit == "days":
        days = int(n)

        def test(r: Request) -> bool:
            a, b = of(r), at(r)
            return a is not None and b is not None and within_calendar_days(cal.zone, a, b, days)
    elif unit == "hours":
        span = timedelta(hours=float(n)) if n != int(n) else timedelta(hours=int(n))

        def test(r: Request) -> bool:
            a, b = of(r), at(r)
            return a is not None and b is not None and a <= b <= a + span
    else:
        count = int(n)

        def test(r: Request) -> bool:
            a, b = of(r), at(r)
            if a is None or b is None or b < a:
                return False
            # Counted after the local day of the event itself (ADR 0003; Conek 10.2 reading):
            # an event after hours is not moved to the next business day before counting.
            # The receipt (``at``) still counts on its effective business day.
            last = cal.add_business_days(cal.local(a).date(), count)
            return cal.effective_receipt_day(b) <= last

    return Cond(
        test,
        text,
        lambda r: _gap(of(r), at(r), start.path, end.path, cal, unit),
        missing=_missing(start, end),
    )


def _missing(start: Fact, end: Fact) -> Callable[[Request], tuple[str, ...]]:
    a_get, b_get = start.get, end.get

    def missing(r: Request) -> tuple[str, ...]:
        return tuple(f.path for f, v in ((start, a_get(r)), (end, b_get(r))) if v is None)

    return missing


def _exceeds(unit: str, n: Decimal, start: Fact, end: Fact) -> Cond:
    span = timedelta(hours=int(n)) if unit == "hours" else timedelta(days=int(n))
    if n != int(n):
        span = timedelta(hours=float(n)) if unit == "hours" else timedelta(days=float(n))
    a_get, b_get = start.get, end.get

    def test(r: Request) -> bool:
        a, b = a_get(r), b_get(r)
        return a is not None and b is not None and b - a > span

    text = f"{start.path} to {end.path} lasts more than {_fmt(n)} {unit}"

    def actual(r: Request) -> str:
        a, b = a_get(r), b_get(r)
        if a is None or b is None:
            return f"{start.path} or {end.path} not given"
        return f"it lasted {_hours(b - a)} hours"

    return Cond(test, text, actual, missing=_missing(start, end))


def _gap(
    a: datetime | None,
    b: datetime | None,
    a_name: str,
    b_name: str,
    cal: BusinessCalendar,
    unit: str,
) -> str:
    if a is None or b is None:
        return f"{a_name} or {b_name} not given"
    if b < a:
        return f"{b_name} is before {a_name}"
    if unit == "hours":
        return f"{b_name} was {_hours(b - a)} hours after {a_name}"
    if unit == "days":
        days = (b.astimezone(cal.zone).date() - a.astimezone(cal.zone).date()).days
        return f"{b_name} was {days} calendar days after {a_name}"
    n = cal.business_days_between(cal.local(a).date(), cal.effective_receipt_day(b))
    return f"{b_name} counts as {n} business days after {a_name}"


def _hours(span: timedelta) -> str:
    minutes = span // timedelta(minutes=1)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _fmt(n: Decimal) -> str:
    return str(int(n)) if n == int(n) else str(n)
