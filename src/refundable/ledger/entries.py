"""Journal entries: frozen, balanced per commodity, corrected only by a linked reversal.

A :class:`JournalEntry` is built complete and checked on construction, so an unbalanced entry
cannot exist in memory, let alone reach the store. Lines on credit-lot accounts carry the lot
id: the ledger itself then says which lot every credit came from and went to, and a lot's
remaining units always equal the sum of its lines (checked in ``invariants``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from refundable.core.errors import (
    AlreadyReversed,
    ImmutableEntry,
    InvariantBroken,
)
from refundable.core.time import require_aware
from refundable.ledger.accounts import AccountKey, Kind


class EntryKind(Enum):
    charge = "charge"
    payment = "payment"
    wallet_top_up = "wallet_top_up"
    lot_purchase = "lot_purchase"
    usage = "usage"
    usage_reinstatement = "usage_reinstatement"
    expiry = "expiry"
    forfeiture = "forfeiture"
    transfer = "transfer"
    refund = "refund"
    account_credit = "account_credit"
    fee = "fee"
    chargeback = "chargeback"
    reversal = "reversal"
    # what a customer owes back when a decision paid out was overridden to less (ADR 0067):
    # a receivable like a charge's, but no charge of the business: never listed or looked up
    # as one, and one case may post several under its own id (ADR 0076)
    clawback = "clawback"


@dataclass(frozen=True, slots=True)
class Line:
    """One posting: a signed amount in smallest units (debit > 0, credit < 0)."""

    account: AccountKey
    amount: int
    lot_id: str | None = None

    @property
    def commodity(self) -> str:
        return self.account.commodity


@dataclass(frozen=True, slots=True)
class JournalEntry:
    entry_id: str
    tenant_id: str
    kind: EntryKind
    effective_at: datetime
    lines: tuple[Line, ...]
    memo: str = ""
    ref: str | None = None  # the business object: payment id, refund id, lot id, batch id
    reverses: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware(self.effective_at, "entry.effective_at")
        check_lines(self.lines, self.entry_id)

    def deltas(self) -> dict[AccountKey, int]:
        """Signed change per account, for balance projections and floor checks."""
        out: dict[AccountKey, int] = defaultdict(int)
        for line in self.lines:
            out[line.account] += line.amount
        return dict(out)


def check_lines(lines: tuple[Line, ...], entry_id: str) -> None:
    """Two or more non-zero lines whose amounts sum to zero for every commodity."""
    where = f"entry {entry_id}"
    if len(lines) < 2:
        raise InvariantBroken(f"{where} has {len(lines)} line(s)", allowed="2 or more lines")
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        if isinstance(line.amount, bool) or not isinstance(line.amount, int):
            raise InvariantBroken(f"{where}: amount {line.amount!r} is not an integer")
        if line.amount == 0:
            raise InvariantBroken(f"{where}: a line of zero on {line.account.code}")
        if (line.lot_id is not None) != (line.account.kind is Kind.credit_lots):
            raise InvariantBroken(f"{where}: lot id only and always on credit-lot lines")
        sums[line.commodity] += line.amount
    unbalanced = {c: s for c, s in sums.items() if s != 0}
    if unbalanced:
        # Entries are built by our own code from checked commands: an unbalanced one is a bug
        # (500 / exit 70), never the caller's mistake.
        raise InvariantBroken(
            f"{where} does not balance: {unbalanced}",
            where=where,
            allowed="lines summing to zero per currency and per credit unit",
        )


def entry(
    entry_id: str,
    tenant_id: str,
    kind: EntryKind,
    at: datetime,
    pairs: Iterable[tuple[AccountKey, AccountKey, int]],
    *,
    memo: str = "",
    ref: str | None = None,
    meta: Mapping[str, str] | None = None,
) -> JournalEntry:
    """Build an entry from (debit account, credit account, amount) triples; zero pairs drop."""
    lines: list[Line] = []
    for debit, credit, amount in pairs:
        if amount == 0:
            continue
        if amount < 0:
            raise InvariantBroken(f"negative pair amount {amount} in {kind.value}")
        lines.append(Line(debit, amount))
        lines.append(Line(credit, -amount))
    return JournalEntry(entry_id, tenant_id, kind, at, tuple(lines), memo, ref, None, meta or {})


def reverse(
    original: JournalEntry,
    entry_id: str,
    at: datetime,
    memo: str = "",
    already_reversed: bool = False,
) -> JournalEntry:
    """The correction of a posted entry: the same lines with opposite signs, linked to it."""
    if already_reversed:
        raise AlreadyReversed(
            f"entry {original.entry_id} is already reversed",
            where=f"entry {original.entry_id}",
            allowed="one reversal per entry; post a new entry for further corrections",
        )
    if original.kind is EntryKind.reversal:
        raise ImmutableEntry(
            f"entry {original.entry_id} is itself a reversal",
            where=f"entry {original.entry_id}",
            allowed="post the corrected entry anew instead of reversing a reversal",
        )
    if any(line.lot_id for line in original.lines):
        raise ImmutableEntry(
            f"entry {original.entry_id} moves credit lots",
            where=f"entry {original.entry_id}",
            allowed="FailUsage (reinstate), ForfeitCredits or ExpireLots for credit movements",
        )
    lines = tuple(Line(line.account, -line.amount, line.lot_id) for line in original.lines)
    return JournalEntry(
        entry_id,
        original.tenant_id,
        EntryKind.reversal,
        at,
        lines,
        memo or f"reversal of {original.entry_id}",
        original.ref,
        original.entry_id,
    )
