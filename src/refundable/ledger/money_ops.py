"""Pure builders for the money movements that are not payments: charges, wallet transfers,
account credits and fees. Each returns a balanced entry; floors are checked by the caller
against the balances it locked (``invariants.check_floors``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind, positive_minor
from refundable.ledger.entries import EntryKind, JournalEntry, entry
from refundable.ledger.transfers import Party, TransferRoute, transfer_route


def charge(
    entry_id: str,
    tenant_id: str,
    customer: str,
    amount: Money,
    at: datetime,
    charge_id: str,
    memo: str = "",
) -> JournalEntry:
    """The customer owes ``amount``: Dr receivable, Cr revenue."""
    minor = positive_minor(amount, "amount")
    c = amount.currency
    return entry(
        entry_id,
        tenant_id,
        EntryKind.charge,
        at,
        [(chart.receivable(customer, c), chart.tenant_account(Kind.revenue, c), minor)],
        ref=charge_id,
        memo=memo or f"charge {charge_id}",
    )


def transfer(
    entry_id: str,
    source: Party,
    target: Party,
    amount: Money,
    at: datetime,
    on_termination: bool,
    transfer_id: str,
    allowed: frozenset[TransferRoute],
) -> JournalEntry:
    """Wallet to wallet, only along a route the policy allows (see ``transfers``)."""
    minor = positive_minor(amount, "amount")
    route = transfer_route(source, target, on_termination, allowed)
    c = amount.currency
    return entry(
        entry_id,
        source.tenant_id,
        EntryKind.transfer,
        at,
        [(chart.wallet(source.customer_id, c), chart.wallet(target.customer_id, c), minor)],
        ref=transfer_id,
        memo=f"transfer {transfer_id} ({route.value})",
        meta={"route": route.value},
    )


def grant_account_credit(
    entry_id: str,
    tenant_id: str,
    customer: str,
    amount: Money,
    at: datetime,
    grant_id: str,
    reason: str,
) -> JournalEntry:
    """Goodwill or policy credit: Dr credit-grant expense, Cr the customer's account credit."""
    minor = positive_minor(amount, "amount")
    c = amount.currency
    return entry(
        entry_id,
        tenant_id,
        EntryKind.account_credit,
        at,
        [(chart.tenant_account(Kind.credit_grants, c), chart.account_credit(customer, c), minor)],
        ref=grant_id,
        memo=f"account credit {grant_id}: {reason}",
    )


class FeeFrom(Enum):
    wallet = "wallet"
    receivable = "receivable"


def fee(
    entry_id: str,
    tenant_id: str,
    customer: str,
    amount: Money,
    at: datetime,
    fee_id: str,
    reason: str,
    charge_to: FeeFrom,
) -> JournalEntry:
    """A fee: taken from the wallet (refused beyond its balance) or added to what is owed."""
    minor = positive_minor(amount, "amount")
    c = amount.currency
    debit = (
        chart.wallet(customer, c) if charge_to is FeeFrom.wallet else chart.receivable(customer, c)
    )
    return entry(
        entry_id,
        tenant_id,
        EntryKind.fee,
        at,
        [(debit, chart.tenant_account(Kind.fee_income, c), minor)],
        ref=fee_id,
        memo=f"fee {fee_id}: {reason}",
    )


def forfeit_account_credit(
    entry_id: str,
    tenant_id: str,
    customer: str,
    currency: str,
    signed_balance: int,
    at: datetime,
    ref: str,
    reason: str,
) -> JournalEntry | None:
    """Account credit lapses on termination/closure: Dr account credit, Cr breakage."""
    key = chart.account_credit(customer, currency)
    held = key.natural(signed_balance)
    if held < 0:
        raise InputError(f"{key.code} is negative", where=key.code)
    if held == 0:
        return None
    return entry(
        entry_id,
        tenant_id,
        EntryKind.forfeiture,
        at,
        [(key, chart.tenant_account(Kind.breakage, currency), held)],
        ref=ref,
        memo=f"account credit forfeited: {reason}",
    )
