"""Amount formulas and fees: how much, in which currency, and why.

Each formula returns the unrounded gross in the currency of what was paid, together with the
most that could ever be returned (never more than was paid) and a one-line basis an agent can
read ("ZAR 499.00 x 73h00 / 720h00"). The engine converts, caps, rounds once and applies fees.
Ratios use integer microseconds, never floats, and the policy's named day-count convention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from refundable.core.errors import InputError
from refundable.core.money import FxRate, FxTable, Money, Rounding
from refundable.policy.document import DayCount, Formula
from refundable.policy.factpaths import Getter
from refundable.policy.facts import Charge, Request

_MICRO = timedelta(microseconds=1)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class AmountSpec:
    formula: Formula
    as_of: Getter | None = None
    start: Getter | None = None
    end: Getter | None = None
    percent: Decimal | None = None
    fixed: Money | None = None


@dataclass(frozen=True, slots=True)
class Gross:
    amount: Money  # unrounded
    cap: Money
    basis: Callable[[], str]  # rendered when read: formatting money is not free


@dataclass(frozen=True, slots=True)
class CompiledFee:
    id: str
    clause: str
    description: str
    percent: Decimal | None
    fixed: Money | None
    minimum: Money | None
    no_refund_if_exceeds: bool


def compute_gross(spec: AmountSpec, r: Request, zone: ZoneInfo, day_count: DayCount) -> Gross:
    f = spec.formula
    if f is Formula.wallet_excess:
        return _wallet_excess(r)
    if f is Formula.failed_value:
        return _failed_value(r)
    if f is Formula.fixed:
        assert spec.fixed is not None  # guaranteed by the loader
        cap = spec.fixed
        if r.charge is not None and r.charge.currency == spec.fixed.currency:
            # never more than was paid (docs/policy-language.md, Amount formulas)
            cap = Money(r.charge.amount, r.charge.currency)
        return Gross(spec.fixed, cap, lambda: f"fixed {spec.fixed}")
    charge = _need_charge(r, f)
    paid = Money(charge.amount, charge.currency)
    if f is Formula.none:
        return Gross(Money.zero(charge.currency), paid, lambda: "nothing")
    if f is Formula.full:
        return Gross(paid, paid, lambda: f"the full charge of {paid}")
    if f is Formula.difference:
        return _difference(charge, paid)
    if f is Formula.percent_kept:
        assert spec.percent is not None
        share = (_HUNDRED - spec.percent) / _HUNDRED
        return Gross(
            paid * share, paid, lambda: f"{paid} less the {spec.percent}% the business keeps"
        )
    if f is Formula.unused_share:
        unused = Decimal(1) - r.usage.consumed_fraction
        return Gross(paid * unused, paid, lambda: f"{paid} x unused share {unused}")
    return _pro_rata(spec, r, charge, paid, zone, day_count)


def _need_charge(r: Request, formula: Formula) -> Charge:
    if r.charge is None:
        raise InputError(
            f"the amount formula {formula.value} needs the charge the request is about",
            where="charge",
            allowed="a charge with kind, amount, currency and charged_at",
        )
    return r.charge


def _difference(charge: Charge, paid: Money) -> Gross:
    if charge.correct_amount is None:
        raise InputError(
            "a billing-error refund of the difference needs the amount that should have been "
            "charged",
            where="charge.correct_amount",
            allowed='a decimal string, e.g. "399.00"',
        )
    correct = Money(charge.correct_amount, charge.currency)
    over = (paid - correct).max(Money.zero(charge.currency))
    return Gross(over, paid, lambda: f"{paid} charged less {correct} due")


def _wallet_excess(r: Request) -> Gross:
    a = r.account
    if a.wallet_balance is None or a.currency is None:
        raise InputError(
            "refunding a wallet needs its balance and currency",
            where="account.wallet_balance",
            allowed="account.wallet_balance and account.currency",
        )
    balance = Money(a.wallet_balance, a.currency)
    due = Money(a.amount_due or Decimal(0), a.currency)
    excess = (balance - due).max(Money.zero(a.currency))
    return Gross(excess, balance, lambda: f"wallet balance {balance} less {due} due")


def _failed_value(r: Request) -> Gross:
    fd = r.failed_delivery
    currency = (r.charge.currency if r.charge else None) or r.account.currency
    if fd is None or fd.value is None or currency is None:
        raise InputError(
            "reinstating failed messages needs their value and a currency",
            where="failed_delivery.value",
            allowed="failed_delivery.value with account.currency or a charge",
        )
    value = Money(fd.value, currency)
    return Gross(value, value, lambda: f"value of {fd.units} failed messages, {value}")


def _period(charge: Charge) -> tuple[datetime, datetime]:
    if charge.period is None:
        raise InputError(
            "a pro-rata amount needs the period the charge paid for",
            where="charge.period",
            allowed="period: {start: <instant>, end: <instant>}",
        )
    return charge.period.start, charge.period.end


def _length(start: datetime, end: datetime, zone: ZoneInfo, day_count: DayCount) -> int:
    """Length from start to end in the convention's unit (microseconds or local days)."""
    if end <= start:
        return 0
    if day_count is DayCount.actual_days:
        return (end.astimezone(zone).date() - start.astimezone(zone).date()).days
    return (end - start) // _MICRO


def _show(units: int, day_count: DayCount) -> str:
    if day_count is DayCount.actual_days:
        return f"{units} d"
    minutes = units // 60_000_000
    return f"{minutes // 60}h{minutes % 60:02d}"


def _pro_rata(
    spec: AmountSpec, r: Request, charge: Charge, paid: Money, zone: ZoneInfo, dc: DayCount
) -> Gross:
    p_start, p_end = _period(charge)
    whole = _length(p_start, p_end, zone, dc)
    if whole == 0:  # actual_days on a period inside one local day: no ratio to take
        raise InputError(
            "the charge period starts and ends on the same local day, so it has no length in "
            f"{dc.value}",
            where="charge.period",
            allowed="a period spanning at least one local midnight, or day_count actual_seconds",
        )
    if spec.formula is Formula.pro_rata_elapsed:
        a = spec.start(r) if spec.start else None
        b = spec.end(r) if spec.end else None
        if a is None or b is None:
            raise InputError("the pro-rata period's start or end is not given", where="incident")
        part = _length(max(a, p_start), min(b, p_end), zone, dc)
        base = paid
    else:
        as_of = (spec.as_of(r) if spec.as_of else None) or r.requested_at
        if spec.formula is Formula.pro_rata_plan_difference:
            pc = r.plan_change
            if pc is None:
                raise InputError("a downgrade credit needs the plan change", where="plan_change")
            as_of = pc.effective_at
            base = Money(max(pc.from_price - pc.to_price, Decimal(0)), charge.currency)
        else:
            base = paid
        part = _length(max(as_of, p_start), p_end, zone, dc)
    ratio = Decimal(part) / Decimal(whole)
    return Gross(
        base * ratio, paid, lambda: f"{base} x {_show(part, dc)} / {_show(whole, dc)} ({dc.value})"
    )


def convert_and_cap(
    gross: Gross, currency: str, fx: FxTable, rounding: Rounding
) -> tuple[Money, FxRate | None]:
    """Gross in the decision currency: capped at what was paid, never negative, rounded once.
    Returns the rate used, if a conversion was needed."""
    amount = gross.amount if gross.amount <= gross.cap else gross.cap
    if amount.is_negative:
        amount = Money.zero(amount.currency)
    rate = None
    if amount.currency != currency:
        amount, rate = fx.convert(amount, currency)
    return amount.round(rounding), rate


def rate_text(rate: FxRate) -> str:
    return f"{rate.pair} {rate.rate:.8g}"


def fee_amount(
    fee: CompiledFee, gross: Money, fx: FxTable, rounding: Rounding
) -> tuple[Money, str]:
    """One fee on a (rounded) gross: the percentage, raised to the minimum where lower."""
    cur = gross.currency
    if fee.fixed is not None:
        fixed, _ = fx.convert(fee.fixed, cur)
        return fixed.round(rounding), f"fixed {fee.fixed}"
    assert fee.percent is not None
    value = gross * (fee.percent / _HUNDRED)
    basis = f"{fee.percent}% of {gross}"
    if fee.minimum is not None:
        minimum, rate = fx.convert(fee.minimum, cur)
        if minimum > value:
            value = minimum
            shown = f"{fee.minimum}" + (f" at {rate_text(rate)}" if rate else "")
            basis = f"minimum {shown} (above {fee.percent}% of {gross})"
    return value.round(rounding), basis
