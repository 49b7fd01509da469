"""What every handler does the same way: replay by idempotency key, post with floor checks,
finish with a receipt.

Idempotency (TigerBeetle's client-chosen ids, Stripe's Idempotency-Key): the key is claimed in
the same transaction as the work. A replay with the same payload gets the stored receipt; the
same key with a different payload is an :class:`IdempotencyConflict`. Entry ids are derived
from (tenant, key, n), so even a retried transaction writes the very same ids.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from refundable.core.errors import IdempotencyConflict, InputError, NotFound
from refundable.core.money import Money
from refundable.core.time import UTC, require_aware
from refundable.ledger.accounts import check_id
from refundable.ledger.entries import JournalEntry
from refundable.ledger.invariants import check_floors
from refundable.service.ports import LedgerStore, Retry, UnitOfWork

_NS = uuid.UUID("6f1c1f5e-2a59-4c4e-9a3b-1e0d5b7c9a10")


@dataclass(frozen=True, slots=True)
class Receipt:
    """The result of a command; a replay returns an equal receipt with ``replayed`` set."""

    command: str
    idempotency_key: str
    entry_ids: tuple[str, ...]
    ref: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = field(default=False, compare=False)

    def to_json(self) -> str:
        return json.dumps(
            {
                "command": self.command,
                "key": self.idempotency_key,
                "entries": list(self.entry_ids),
                "ref": self.ref,
                "details": dict(self.details),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        d = json.loads(text)
        return cls(d["command"], d["key"], tuple(d["entries"]), d["ref"], d["details"], True)


def entry_id(tenant_id: str, key: str, n: int = 0) -> str:
    """The n-th entry of the command with idempotency key ``key``."""
    return str(uuid.uuid5(_NS, f"{tenant_id}\x1fkey\x1f{key}\x1f{n}"))


def usage_entry_id(tenant_id: str, first_event_id: str) -> str:
    """A batch's entry for one customer, named after its first new event (unique forever)."""
    return str(uuid.uuid5(_NS, f"{tenant_id}\x1fusage\x1f{first_event_id}"))


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return {"amount": str(value.amount.normalize()), "currency": value.currency}
    if isinstance(value, datetime):
        return require_aware(value, "at").astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)  # order-free, so the digest is stable
    return value


def payload_hash(cmd: object) -> str:
    """A stable digest of everything in the command except its idempotency key."""
    body = _plain(cmd)
    body.pop("idempotency_key", None)
    body["_command"] = type(cmd).__name__
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def check_common(tenant_id: str, key: str, at: datetime | None) -> None:
    check_id(tenant_id, "tenant_id")
    if not isinstance(key, str) or not 0 < len(key) <= 200:
        raise InputError(
            f"idempotency key {key!r}",
            where="idempotency_key",
            allowed="a non-empty string of at most 200 characters",
        )
    if at is not None:
        require_aware(at, "at")


def replay(store: LedgerStore, cmd: Any) -> Receipt | None:
    """The stored receipt if this key was used before with the same payload, else None (and
    the key is now claimed by this transaction)."""
    check_common(cmd.tenant_id, cmd.idempotency_key, getattr(cmd, "at", None))
    digest = payload_hash(cmd)
    name = type(cmd).__name__
    claim = store.claim(cmd.idempotency_key, name, digest)
    if claim is None:
        return None
    if claim.command != name or claim.payload_hash != digest:
        raise IdempotencyConflict(
            f"idempotency key {cmd.idempotency_key!r} was used for a different {claim.command}",
            where="idempotency_key",
            allowed="the same payload to retry, or a new key for a new operation",
        )
    if claim.result is None:
        raise Retry("key claimed by a transaction still in flight")
    return Receipt.from_json(claim.result)


def post_checked(store: LedgerStore, entries: Sequence[JournalEntry], key: str | None) -> None:
    """Lock every account the entries touch, refuse if a floor would break, then post."""
    accounts = {line.account for e in entries for line in e.lines}
    balances = store.lock_balances(accounts)
    check_floors(balances, entries)
    store.post(entries, key)


def finish(
    uow: UnitOfWork,
    store: LedgerStore,
    cmd: Any,
    entries: Sequence[JournalEntry],
    ref: str | None = None,
    details: Mapping[str, str] | None = None,
) -> Receipt:
    receipt = Receipt(
        type(cmd).__name__,
        cmd.idempotency_key,
        tuple(e.entry_id for e in entries),
        ref,
        dict(details or {}),
    )
    store.remember(cmd.idempotency_key, receipt.to_json())
    uow.commit()
    return receipt


def post_one(
    cmd: Any, uow: UnitOfWork, ref: str, build: Callable[[LedgerStore, str], JournalEntry]
) -> Receipt:
    """The whole shape of a handler that posts one entry: open the unit of work, return the
    first result on a retry, build the entry from what the store holds, post it (floors
    checked), commit and keep the receipt."""
    with uow:
        store = uow.ledger(cmd.tenant_id)
        if (prior := replay(store, cmd)) is not None:
            return prior
        e = build(store, entry_id(cmd.tenant_id, cmd.idempotency_key))
        post_checked(store, [e], cmd.idempotency_key)
        return finish(uow, store, cmd, [e], ref)


def not_found(what: str, ident: str) -> NotFound:
    return NotFound(f"no {what} {ident!r}", where=what, allowed=f"an existing {what} id")
