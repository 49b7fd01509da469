"""The two journal entries a case decision adds to the ledger's own operations.

Everything else a decision moves reuses the ledger's operations (account credit grants,
fees from the wallet, credit lots, refunds). These two have no operation of their own yet:

* a fee kept from a refund paid back to a card or bank (Kero's refund fee, Kelbix's retained
  cancellation fee): the refund then reverses only the net, so the kept part is moved from
  Refunds (contra revenue) to fee income, and the books show the whole refund and the fee;
* wallet funds reinstated (a wallet refund into the wallet, e.g. Kero's failed messages).
"""

from __future__ import annotations

from datetime import datetime

from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind, positive_minor
from refundable.ledger.entries import EntryKind, JournalEntry, entry


def retained_fee(
    entry_id: str, tenant_id: str, amount: Money, at: datetime, ref: str, reason: str
) -> JournalEntry:
    minor = positive_minor(amount, "fee")
    c = amount.currency
    pair = (chart.tenant_account(Kind.refunds, c), chart.tenant_account(Kind.fee_income, c), minor)
    return entry(entry_id, tenant_id, EntryKind.fee, at, [pair], ref=ref,
                 memo=f"fee kept from refund {ref}: {reason}")  # fmt: skip


def wallet_reinstated(
    entry_id: str, tenant_id: str, customer: str, amount: Money, at: datetime, ref: str,
    reason: str,
) -> JournalEntry:  # fmt: skip
    minor = positive_minor(amount, "amount")
    c = amount.currency
    pair = (chart.tenant_account(Kind.refunds, c), chart.wallet(customer, c), minor)
    return entry(entry_id, tenant_id, EntryKind.refund, at, [pair], ref=ref,
                 memo=f"wallet funds reinstated by case {ref}: {reason}")  # fmt: skip
