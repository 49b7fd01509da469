"""Pure builders for the entries a subscription's lifecycle posts (ADR 0046).

The lifecycle's postings map onto the chart as follows: a charge (renewal, pro-rated upgrade,
early termination) is owed by the customer (Dr receivable, Cr revenue); a credit (pro-rata
downgrade credit, cooling-off) is account credit the next charge uses (Dr credit grants, Cr
account credit); when a charge uses it, Dr account credit, Cr receivable. The credits a plan
or trial includes are value held for the customer, not money they can spend on charges, so
they sit in the customer's deferred revenue (grant: Dr credit grants, Cr deferred revenue)
until they are forfeited (Dr deferred revenue, Cr breakage). A payment beyond what is owed
becomes account credit (Dr receivable, Cr account credit). Every builder returns one balanced
entry carrying the subscription and the clause in its meta.
"""

from __future__ import annotations

from datetime import datetime

from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import AccountKey, Kind, positive_minor
from refundable.ledger.entries import EntryKind, JournalEntry, entry


def _one(
    entry_id: str,
    tenant_id: str,
    kind: EntryKind,
    at: datetime,
    pair: tuple[AccountKey, AccountKey],
    amount: Money,
    ref: str,
    memo: str,
    clause: str,
) -> JournalEntry:
    minor = positive_minor(amount, "amount")
    debit, credit = pair
    return entry(
        entry_id, tenant_id, kind, at, [(debit, credit, minor)], ref=ref, memo=memo,
        meta={"subscription_id": ref, "clause": clause},
    )  # fmt: skip


def grant_plan_credits(
    entry_id: str, tenant_id: str, customer: str, amount: Money, at: datetime, ref: str,
    memo: str, clause: str,
) -> JournalEntry:  # fmt: skip
    """Credits a trial or plan includes: held for the customer as deferred revenue."""
    c = amount.currency
    pair = (chart.tenant_account(Kind.credit_grants, c), chart.deferred_revenue(customer, c))
    return _one(entry_id, tenant_id, EntryKind.account_credit, at, pair, amount, ref, memo, clause)


def forfeit_plan_credits(
    entry_id: str, tenant_id: str, customer: str, amount: Money, at: datetime, ref: str,
    memo: str, clause: str,
) -> JournalEntry:  # fmt: skip
    """Credits held are forfeited (trial end, plan change, termination): breakage."""
    c = amount.currency
    pair = (chart.deferred_revenue(customer, c), chart.tenant_account(Kind.breakage, c))
    return _one(entry_id, tenant_id, EntryKind.forfeiture, at, pair, amount, ref, memo, clause)


def apply_account_credit(
    entry_id: str, tenant_id: str, customer: str, amount: Money, at: datetime, ref: str,
    clause: str,
) -> JournalEntry:  # fmt: skip
    """Account credit settles part of a charge: Dr account credit, Cr receivable."""
    c = amount.currency
    pair = (chart.account_credit(customer, c), chart.receivable(customer, c))
    memo = f"account credit applied to {ref}"
    return _one(entry_id, tenant_id, EntryKind.account_credit, at, pair, amount, ref, memo, clause)


def overpayment_to_credit(
    entry_id: str, tenant_id: str, customer: str, amount: Money, at: datetime, ref: str,
    clause: str,
) -> JournalEntry:  # fmt: skip
    """A payment beyond what is owed becomes account credit for the next charge."""
    c = amount.currency
    pair = (chart.receivable(customer, c), chart.account_credit(customer, c))
    memo = f"overpayment of {ref} kept as account credit"
    return _one(entry_id, tenant_id, EntryKind.account_credit, at, pair, amount, ref, memo, clause)
