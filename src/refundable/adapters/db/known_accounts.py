"""Which account rows are known to exist, so a posting does not re-insert them every time.

Journal lines need their account rows first (the balance trigger refuses a line whose account
is missing). Inserting "if missing" on every posting cost a statement (a round trip on
PostgreSQL) for rows that almost always exist. Account rows are never deleted, so once a
transaction that created or saw them has committed, they exist for good: each pooled
connection remembers them (``Connection.info`` lives as long as the driver connection).

Rows ensured by the running transaction are kept apart and join the known set only when it
commits (``promote``); a rollback forgets them (``forget``). Should the set ever be wrong (a
database swapped under a running process), the trigger still refuses the line: a failed
posting, never a wrong balance. The set is bounded (``MAX_KNOWN``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

MAX_KNOWN = 100_000
_KNOWN = "refundable_known_accounts"  # committed: {(tenant, code)}
_FRESH = "refundable_fresh_accounts"  # ensured by the open transaction


def accounts_known(conn: Connection, tenant: str) -> set[str]:
    """Codes of ``tenant``'s accounts known to exist in this transaction."""
    info = conn.info
    known: dict[str, set[str]] = info.get(_KNOWN) or {}
    fresh: dict[str, set[str]] = info.get(_FRESH) or {}
    a, b = known.get(tenant), fresh.get(tenant)
    if b is None:
        return a or set()
    return b if a is None else a | b


def accounts_ensured(conn: Connection, tenant: str, codes: Iterable[str]) -> None:
    """The open transaction created or locked these accounts."""
    fresh: dict[str, set[str]] = conn.info.setdefault(_FRESH, {})
    fresh.setdefault(tenant, set()).update(codes)


def promote(conn: Connection) -> None:
    """The transaction committed: what it ensured now exists for good."""
    fresh: dict[str, set[str]] | None = conn.info.pop(_FRESH, None)
    if not fresh:
        return
    known: dict[str, set[str]] = conn.info.setdefault(_KNOWN, {})
    if sum(len(v) for v in known.values()) > MAX_KNOWN:
        known.clear()
    for tenant, codes in fresh.items():
        known.setdefault(tenant, set()).update(codes)


def forget(conn: Connection) -> None:
    """The transaction ended without committing: nothing it ensured may be assumed."""
    conn.info.pop(_FRESH, None)


def fresh_mark(conn: Connection) -> dict[str, set[str]]:
    """What the open transaction has ensured so far (for a savepoint to go back to)."""
    fresh: dict[str, set[str]] = conn.info.get(_FRESH) or {}
    return {tenant: set(codes) for tenant, codes in fresh.items()}


def back_to(conn: Connection, mark: dict[str, set[str]]) -> None:
    """A savepoint was rolled back: only what was ensured before it may be assumed."""
    conn.info[_FRESH] = mark
