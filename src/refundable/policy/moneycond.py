"""Money thresholds in a stated currency: ``charge.amount: {gt: {amount: "1000000.00",
currency: ZAR}}``.

A threshold written in the text's currency (Conek 10.3's R1,000,000) must hold for a charge in
any currency, so the charge is converted with the rate the request supplies before comparing.
Without that rate the comparison cannot be answered: the condition is unknown and the rule asks
for the rate (``fx:USD/ZAR``) instead of silently treating the charge as under the threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from refundable.core.money import to_decimal
from refundable.policy.cond import CompileContext, Cond, never
from refundable.policy.factpaths import FACTS, Fact
from refundable.policy.facts import Request

MONEY_OPS = ("gt", "gte", "lt", "lte")

# The currency each money fact is expressed in (its path: the trace's sentences read it too).
CURRENCY_PATH: dict[str, str] = {
    "charge.amount": "charge.currency",
    "charge.correct_amount": "charge.currency",
    "charge.overcharge": "charge.currency",
    "account.wallet_balance": "account.currency",
    "account.amount_due": "account.currency",
}
CURRENCY_OF: dict[str, Callable[[Request], str | None]] = {
    fact: FACTS[path].get for fact, path in CURRENCY_PATH.items()
}

_CMP: dict[str, tuple[str, Callable[[Decimal, Decimal], bool]]] = {
    "gt": (">", lambda a, b: a > b),
    "gte": (">=", lambda a, b: a >= b),
    "lt": ("<", lambda a, b: a < b),
    "lte": ("<=", lambda a, b: a <= b),
}


def converted(r: Request, amount: Decimal, base: str, quote: str) -> Decimal | None:
    """``amount`` of ``base`` in ``quote`` at the request's rate, or None without a rate."""
    if base == quote:
        return amount
    rate = r.fx.get(f"{base}/{quote}")
    if rate is not None:
        return amount * rate
    inverse = r.fx.get(f"{quote}/{base}")
    if inverse is not None:
        return amount / inverse
    return None


def money_compare(
    raw: dict[str, Any], key: str, fact: Fact, op: str, operand: dict[str, Any], ctx: CompileContext
) -> Cond:
    currency_of = CURRENCY_OF.get(key)
    if currency_of is None or set(operand) != {"amount", "currency"}:
        ctx.problem(
            raw,
            key,
            f"{key}: a threshold with a currency needs a money fact and {{amount, currency}}",
            f'{", ".join(CURRENCY_OF)} compared with {{amount: "1000000.00", currency: ZAR}}',
        )
        return never(key)
    try:
        limit = to_decimal(operand["amount"], key)
    except ValueError as error:
        ctx.problem(raw, key, str(error), 'a decimal string such as "1000000.00"')
        return never(key)
    quote = str(operand["currency"])
    symbol, fn = _CMP[op]
    get = fact.get

    def value(r: Request) -> Decimal | None:
        v, base = get(r), currency_of(r)
        if v is None or base is None:
            return None
        return converted(r, v, base, quote)

    def test(r: Request) -> bool:
        v = value(r)
        return v is not None and fn(v, limit)

    def missing(r: Request) -> tuple[str, ...]:
        base = currency_of(r)
        if get(r) is None or base is None:
            return (key,)
        return () if value(r) is not None else (f"fx:{base}/{quote}",)

    def actual(r: Request) -> str:
        v, base = get(r), currency_of(r)
        if v is None or base is None:
            return f"{key} was not given"
        shown = value(r)
        if base == quote:
            return f"{key} was {base} {v}"
        if shown is None:
            return f"{key} was {base} {v}, and no {base}/{quote} rate was given"
        return f"{key} was {base} {v}, {quote} {shown:.2f} at the request's rate"

    text = f"{key} {symbol} {quote} {limit}"
    return Cond(test, text, actual, missing=missing, converts=True)
