"""Invariants of the ledger, checked on the way in (floors) and after the fact (audits).

TigerBeetle's habit: balances that must not go negative are enforced by the ledger, not by
callers, and invariants are asserted on two paths. ``check_floors`` runs before every posting
on the balances the store locked; ``audit`` recomputes everything from the lines and is used by
tests and the stateful property test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from refundable.core.errors import InsufficientFunds, InvariantBroken
from refundable.ledger.accounts import AccountKey, to_units
from refundable.ledger.entries import JournalEntry, Line
from refundable.ledger.lots import CreditLot


def deltas_of(entries: Iterable[JournalEntry]) -> dict[AccountKey, int]:
    out: dict[AccountKey, int] = defaultdict(int)
    for e in entries:
        for line in e.lines:
            out[line.account] += line.amount
    return dict(out)


def check_floors(balances: Mapping[AccountKey, int], entries: Iterable[JournalEntry]) -> None:
    """Refuse (InsufficientFunds) when an entry would take an account below its floor.

    ``balances`` are signed sums (debit positive) as locked by the store; accounts absent from
    it are new and start at zero. Only accounts that the entries *lower* are checked, so an
    account that is already below its floor (which cannot happen through the ledger) can still
    be paid into.
    """
    for account, delta in deltas_of(entries).items():
        floor = account.floor
        if floor is None:
            continue
        change = account.natural(delta)
        before = account.natural(balances.get(account, 0))
        if change < 0 and before + change < floor:
            have = to_units(before, account.commodity)
            need = to_units(-change, account.commodity)
            raise InsufficientFunds(
                f"{account.code} holds {have} {account.commodity}, {need} requested",
                where=account.code,
                allowed=f"at most {to_units(max(before - floor, 0), account.commodity)} "
                f"{account.commodity}",
            )


def apply(
    balances: Mapping[AccountKey, int], entries: Iterable[JournalEntry]
) -> dict[AccountKey, int]:
    out = dict(balances)
    for account, delta in deltas_of(entries).items():
        out[account] = out.get(account, 0) + delta
    return out


def audit(lines: Iterable[tuple[str, Line]], lots: Iterable[CreditLot]) -> list[str]:
    """Everything that is wrong with a ledger, recomputed from its lines (empty = healthy).

    Checks: each entry balances per commodity; no account is below its floor; each lot's
    remaining units equal minus the sum of its lines.
    """
    problems: list[str] = []
    per_entry: dict[tuple[str, str], int] = defaultdict(int)
    per_account: dict[AccountKey, int] = defaultdict(int)
    per_lot: dict[str, int] = defaultdict(int)
    for entry_id, line in lines:
        per_entry[(entry_id, line.commodity)] += line.amount
        per_account[line.account] += line.amount
        if line.lot_id is not None:
            per_lot[line.lot_id] += line.amount
    problems += [f"entry {e} unbalanced in {c}: {s}" for (e, c), s in per_entry.items() if s]
    for account, signed in per_account.items():
        if account.floor is not None and account.natural(signed) < account.floor:
            problems.append(f"{account.code} below floor: {account.natural(signed)}")
    for lot in lots:
        if -per_lot.get(lot.lot_id, 0) != lot.remaining:
            problems.append(
                f"lot {lot.lot_id}: remaining {lot.remaining}, lines {-per_lot.get(lot.lot_id, 0)}"
            )
    return problems


def require_healthy(problems: list[str]) -> None:
    if problems:
        raise InvariantBroken("; ".join(problems[:5]), details={"problems": problems})
