"""Payments, refunds against them, and chargebacks: the money that enters and leaves.

Every policy refunds "to the original payment method", so a payment remembers where its money
came from (the source: a provider's clearing account, the wallet, account credit) and what it
paid for (the funded account: the receivable, or the wallet for a top-up). A refund runs the
same path backwards and can never exceed what is left of the payment after earlier refunds and
chargebacks, however many partial refunds there are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from refundable.core.errors import CurrencyError, InputError, OverRefund
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import AccountKey, Kind, check_id, positive_minor
from refundable.ledger.entries import EntryKind, JournalEntry, entry


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    tenant_id: str
    customer_id: str
    amount_minor: int
    currency: str
    method: Method
    provider: str | None
    source: AccountKey  # where the money came from; refunds go back here
    funded: AccountKey  # what it paid: the receivable, or the wallet for a top-up
    entry_id: str
    paid_at: datetime
    refunded_minor: int = 0
    charged_back_minor: int = 0

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor - self.charged_back_minor

    def money(self, minor: int) -> Money:
        return Money.from_minor(minor, self.currency)


def source_account(
    method: Method, provider: str | None, customer: str, currency: str
) -> AccountKey:
    if method is Method.wallet:
        return chart.wallet(customer, currency)
    if method is Method.account_credit:
        return chart.account_credit(customer, currency)
    if provider is None:
        raise InputError(
            f"a {method.value} payment needs its provider",
            where="provider",
            allowed="the payment provider's id, e.g. 'stripe', 'payfast', 'bank'",
        )
    return chart.clearing(check_id(provider, "provider"), currency)


def pay(
    entry_id: str,
    tenant_id: str,
    payment_id: str,
    customer: str,
    amount: Money,
    method: Method,
    provider: str | None,
    at: datetime,
    funds: Kind = Kind.receivable,
) -> tuple[Payment, JournalEntry]:
    """A payment received: Dr source (clearing / wallet / account credit), Cr funded account."""
    minor = positive_minor(amount, "amount")
    src = source_account(method, provider, customer, amount.currency)
    funded = AccountKey(funds, amount.currency, customer)
    if src == funded:
        raise InputError(
            "a wallet cannot top itself up", where="method", allowed="card, eft, debit_order, cash"
        )
    kind = EntryKind.wallet_top_up if funds is Kind.wallet else EntryKind.payment
    e = entry(
        entry_id,
        tenant_id,
        kind,
        at,
        [(src, funded, minor)],
        ref=payment_id,
        memo=f"{kind.value} {payment_id} by {method.value}",
    )
    p = Payment(
        payment_id,
        tenant_id,
        customer,
        minor,
        amount.currency,
        method,
        provider if not method.internal else None,
        src,
        funded,
        entry_id,
        at,
    )
    return p, e


def _check_refundable(payment: Payment, amount: Money, what: str) -> int:
    minor = positive_minor(amount, "amount")
    if amount.currency != payment.currency:
        raise CurrencyError(
            f"{what} in {amount.currency} against a {payment.currency} payment",
            where=f"payment {payment.payment_id}",
            allowed=payment.currency,
        )
    if minor > payment.refundable_minor:
        raise OverRefund(
            f"{what} of {amount} exceeds what is left of payment {payment.payment_id} "
            f"({payment.money(payment.refundable_minor)} of {payment.money(payment.amount_minor)})",
            where=f"payment {payment.payment_id}",
            allowed=f"at most {payment.money(payment.refundable_minor)}",
        )
    return minor


def refund(
    entry_id: str, payment: Payment, refund_id: str, amount: Money, at: datetime
) -> tuple[Payment, JournalEntry]:
    """Return money to the payment's source. A top-up refund comes out of the wallet (and so
    cannot spend what is no longer there); an invoice refund is contra-revenue."""
    minor = _check_refundable(payment, amount, "refund")
    debit = (
        payment.funded
        if payment.funded.kind is Kind.wallet
        else chart.tenant_account(Kind.refunds, payment.currency)
    )
    e = entry(
        entry_id,
        payment.tenant_id,
        EntryKind.refund,
        at,
        [(debit, payment.source, minor)],
        ref=refund_id,
        memo=f"refund {refund_id} of payment {payment.payment_id}",
        meta={"payment_id": payment.payment_id},
    )
    return replace(payment, refunded_minor=payment.refunded_minor + minor), e


def chargeback(
    entry_id: str,
    payment: Payment,
    dispute_id: str,
    amount: Money,
    at: datetime,
    wallet_signed: int,
) -> tuple[Payment, JournalEntry]:
    """The provider pulls the money back. The payment is reversed: the customer owes the
    invoice again; for a top-up the wallet gives back what it still holds and the rest
    becomes a receivable (a chargeback cannot be refused, so no floor can stop it)."""
    if payment.method.internal:
        raise InputError(
            f"payment {payment.payment_id} was made by {payment.method.value}",
            where="payment_id",
            allowed="a card, EFT or other provider payment",
        )
    minor = _check_refundable(payment, amount, "chargeback")
    receivable = chart.receivable(payment.customer_id, payment.currency)
    if payment.funded.kind is Kind.wallet:
        from_wallet = min(minor, max(payment.funded.natural(wallet_signed), 0))
        pairs = [
            (payment.funded, payment.source, from_wallet),
            (receivable, payment.source, minor - from_wallet),
        ]
    else:
        pairs = [(receivable, payment.source, minor)]
    e = entry(
        entry_id,
        payment.tenant_id,
        EntryKind.chargeback,
        at,
        pairs,
        ref=dispute_id,
        memo=f"chargeback {dispute_id} of payment {payment.payment_id}",
        meta={"payment_id": payment.payment_id},
    )
    return replace(payment, charged_back_minor=payment.charged_back_minor + minor), e
