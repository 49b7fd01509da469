"""Settling a matched rule into money: gross, each fee with its clause, net, and the two
ways an approval comes to nothing (fees that would take the whole refund; a formula that
comes to zero). Kept apart from the engine, which assembles the decision around it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from refundable.core.errors import InvariantBroken
from refundable.core.money import FxRate, FxTable, Money
from refundable.policy.amounts import compute_gross, convert_and_cap, fee_amount, rate_text
from refundable.policy.compiled import CompiledPolicy, CompiledRule, FeeChoice
from refundable.policy.decision import FeeLine
from refundable.policy.document import Formula, Outcome, Remedy
from refundable.policy.facts import Request

_ZEROS: dict[str, Money] = {}


def zero(currency: str) -> Money:
    """A rounded zero ("0.00"), so every amount in a decision has the currency's decimals."""
    return _ZEROS.get(currency) or _ZEROS.setdefault(currency, Money.zero(currency).round())


def no_basis() -> str:
    return ""


@dataclass(frozen=True, slots=True)
class Settlement:
    gross: Money
    fees: tuple[FeeLine, ...]
    net: Money
    basis: Callable[[], str]
    eaten: bool  # fees would take the whole refund: no refund (e.g. Kero)
    nothing: bool  # the formula came to zero: nothing is due

    @property
    def refused(self) -> bool:
        return self.eaten or self.nothing


def settle(
    policy: CompiledPolicy, rule: CompiledRule, r: Request, currency: str, fx: FxTable
) -> Settlement:
    """Gross (converted, capped, rounded once), fees on money paid out, and net."""
    gross, basis, paid = zero(currency), no_basis, zero(currency)
    if rule.amount is not None:
        computed = compute_gross(rule.amount, r, policy.calendar.zone, policy.day_count)
        gross, rate = convert_and_cap(computed, currency, fx, policy.rounding)
        basis = _basis(computed.basis, rate)
        paid = fx.convert(computed.cap, currency)[0].round(policy.rounding)
    fees: tuple[FeeLine, ...] = ()
    # Fees apply to money paid out; a denying rule may also list them to show what the
    # business retains of the payment and under which clause (Kelbix's 100% fees).
    if gross.is_positive and (
        rule.then.remedy is Remedy.refund or rule.then.outcome is Outcome.deny
    ):
        fees = tuple(_charge_fee(choice, gross, fx, policy) for choice in rule.fees)
    net = gross
    for fee in fees:
        net = net - fee.amount
    net = net.max(zero(currency))  # fees never turn a refund into a debt
    eaten = bool(fees) and not net.is_positive and _no_refund_if_exceeds(rule)
    nothing = _nothing_due(rule, gross)
    if eaten or nothing:
        net = zero(currency)
    check_invariants(rule.id, paid, gross, fees, net)
    return Settlement(gross, fees, net, basis, eaten, nothing)


def check_invariants(
    rule: str, paid: Money, gross: Money, fees: tuple[FeeLine, ...], net: Money
) -> None:
    """What every settlement must satisfy whatever the policy says: no fee is negative, and
    the customer never gets back more than the gross, nor the gross more than was paid.
    Broken, it is a bug in the engine or a formula (InvariantBroken), never a user error."""
    for fee in fees:
        if fee.amount.is_negative:
            raise InvariantBroken(f"rule {rule}: fee {fee.id} is negative ({fee.amount})")
    if net.is_negative or net > gross:
        raise InvariantBroken(f"rule {rule}: net {net} is outside 0..gross {gross}")
    if gross > paid:
        raise InvariantBroken(f"rule {rule}: gross {gross} is more than was paid ({paid})")


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
        basis = f"{best.basis}; the higher of this and {others}, never both"
        best = FeeLine(best.id, best.clause, best.description, best.amount, basis)
    return best
