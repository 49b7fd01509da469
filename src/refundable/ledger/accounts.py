"""Accounts and the chart of accounts a refund business needs.

Every account belongs to one tenant, holds one commodity (an ISO currency, or a unit code such
as ``MSGCR`` for message credits) and has a normal side. Amounts are stored as signed integers
in the commodity's smallest unit (cents, whole credits): debit positive, credit negative, so a
journal entry balances when its integers sum to zero per commodity and no rounding can creep in.

An account is named by an :class:`AccountKey`; its ``code`` is a stable text path
(``wallet/C1/ZAR``) used as the key in storage. The kind decides the normal side, the floor
(a wallet never goes below zero) and the Beancount root used by the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from refundable.core.errors import CurrencyError, InputError
from refundable.core.money import MINOR_UNITS, Money

# Unit commodities (not money) and their number of decimal places.
UNIT_SCALES: dict[str, int] = {"MSGCR": 0}
CREDIT_UNIT = "MSGCR"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


class Side(Enum):
    debit = 1
    credit = -1


class Root(Enum):
    """Beancount's five roots; they also say on which side of the balance sheet we stand."""

    assets = "Assets"
    liabilities = "Liabilities"
    equity = "Equity"
    income = "Income"
    expenses = "Expenses"


@dataclass(frozen=True, slots=True)
class KindSpec:
    side: Side
    root: Root
    floor: int | None  # lowest natural balance allowed, in smallest units; None = unbounded
    per_customer: bool
    units: bool  # holds unit credits rather than money
    label: str


class Kind(Enum):
    """The chart of accounts. Per-customer kinds carry the customer id in their key."""

    receivable = KindSpec(Side.debit, Root.assets, None, True, False, "Receivable")
    clearing = KindSpec(Side.debit, Root.assets, None, False, False, "Clearing")
    wallet = KindSpec(Side.credit, Root.liabilities, 0, True, False, "Wallet")
    account_credit = KindSpec(Side.credit, Root.liabilities, 0, True, False, "AccountCredit")
    deferred_revenue = KindSpec(Side.credit, Root.liabilities, 0, True, False, "DeferredRevenue")
    refunds_payable = KindSpec(Side.credit, Root.liabilities, 0, True, False, "RefundsPayable")
    credit_lots = KindSpec(Side.credit, Root.liabilities, 0, True, True, "CreditLots")
    revenue = KindSpec(Side.credit, Root.income, None, False, False, "Revenue")
    refunds = KindSpec(Side.debit, Root.income, None, False, False, "Refunds")
    fee_income = KindSpec(Side.credit, Root.income, None, False, False, "Fees")
    breakage = KindSpec(Side.credit, Root.income, None, False, False, "Breakage")
    credit_grants = KindSpec(Side.debit, Root.expenses, None, False, False, "CreditGrants")
    chargebacks = KindSpec(Side.debit, Root.expenses, None, False, False, "Chargebacks")
    credits_issued = KindSpec(Side.debit, Root.equity, None, False, True, "CreditsIssued")
    credits_consumed = KindSpec(Side.credit, Root.income, None, False, True, "CreditsConsumed")
    credits_expired = KindSpec(Side.credit, Root.income, None, False, True, "CreditsExpired")

    @property
    def spec(self) -> KindSpec:
        value: KindSpec = self.value
        return value


def check_id(value: object, where: str) -> str:
    """Ids (tenant, customer, provider, lot, payment, event) are short plain tokens."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(
            f"{value!r} is not a valid id",
            where=where,
            allowed="1-64 characters: letters, digits, '_', '.', '-' (starting alphanumeric)",
        )
    return value


def check_commodity(code: object, where: str = "commodity") -> str:
    if isinstance(code, str) and (code in MINOR_UNITS or code in UNIT_SCALES):
        return code
    raise CurrencyError(
        f"unknown commodity {code!r}",
        where=where,
        allowed=f"an ISO-4217 currency (ZAR, USD, ...) or a unit code ({', '.join(UNIT_SCALES)})",
    )


def scale_of(commodity: str) -> int:
    """Decimal places of the commodity's smallest unit."""
    return UNIT_SCALES[commodity] if commodity in UNIT_SCALES else MINOR_UNITS[commodity]


def to_units(amount: int, commodity: str) -> Decimal:
    """Smallest units back to a Decimal in the commodity (1234 ZAR cents -> 12.34)."""
    return Decimal(amount).scaleb(-scale_of(commodity))


def positive_minor(money: Money, where: str) -> int:
    """A strictly positive money amount as integer minor units; refuses extra decimals."""
    if not isinstance(money, Money):
        raise InputError(f"{money!r} is not Money", where=where, allowed="Money.of('10.00', 'ZAR')")
    if not money.is_positive:
        raise InputError(f"amount {money} must be positive", where=where, allowed="more than 0")
    try:
        return money.to_minor()
    except InputError as err:
        raise InputError(err.message, where=where, allowed=err.allowed) from None


def positive_units(units: object, where: str) -> int:
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise InputError(f"{units!r} units", where=where, allowed="a whole number above 0")
    return units


@dataclass(frozen=True, slots=True, order=True)
class AccountKey:
    """Names one account: its kind, commodity and (per kind) customer or provider."""

    kind: Kind
    commodity: str
    owner: str | None = None  # customer id for per-customer kinds, provider for clearing

    def __post_init__(self) -> None:
        check_commodity(self.commodity, f"account {self.kind.name}.commodity")
        needs_owner = self.kind.spec.per_customer or self.kind is Kind.clearing
        if needs_owner != (self.owner is not None):
            raise InputError(
                f"account kind {self.kind.name} {'needs' if needs_owner else 'takes no'} owner",
                where="account",
            )
        if self.kind.spec.units != (self.commodity in UNIT_SCALES):
            raise CurrencyError(
                f"account kind {self.kind.name} cannot hold {self.commodity}",
                where="account.commodity",
                allowed="unit codes for credit accounts, currencies for money accounts",
            )

    @property
    def code(self) -> str:
        if self.owner is None:
            return f"{self.kind.name}/{self.commodity}"
        return f"{self.kind.name}/{self.owner}/{self.commodity}"

    @property
    def side(self) -> Side:
        return self.kind.spec.side

    @property
    def floor(self) -> int | None:
        return self.kind.spec.floor

    @property
    def customer_id(self) -> str | None:
        return self.owner if self.kind.spec.per_customer else None

    def natural(self, signed_sum: int) -> int:
        """Balance on the account's normal side (a wallet holding R10 reads +1000)."""
        return signed_sum * self.side.value

    @classmethod
    def parse(cls, code: str) -> AccountKey:
        parts = code.split("/")
        try:
            kind = Kind[parts[0]]
        except KeyError:
            raise InputError(f"unknown account {code!r}", where="account") from None
        if len(parts) == 2:
            return cls(kind, parts[1])
        if len(parts) == 3:
            return cls(kind, parts[2], parts[1])
        raise InputError(f"malformed account code {code!r}", where="account")


# The chart, spelled the way the builders use it ----------------------------------------------
def receivable(customer: str, currency: str) -> AccountKey:
    return AccountKey(Kind.receivable, currency, customer)


def clearing(provider: str, currency: str) -> AccountKey:
    return AccountKey(Kind.clearing, currency, provider)


def wallet(customer: str, currency: str) -> AccountKey:
    return AccountKey(Kind.wallet, currency, customer)


def account_credit(customer: str, currency: str) -> AccountKey:
    return AccountKey(Kind.account_credit, currency, customer)


def deferred_revenue(customer: str, currency: str) -> AccountKey:
    return AccountKey(Kind.deferred_revenue, currency, customer)


def credit_lots(customer: str, unit: str = CREDIT_UNIT) -> AccountKey:
    return AccountKey(Kind.credit_lots, unit, customer)


def tenant_account(kind: Kind, commodity: str) -> AccountKey:
    return AccountKey(kind, commodity)
