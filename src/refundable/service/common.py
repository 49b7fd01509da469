"""What handlers share: the receipt a command returns, the context a handler works in, and
the derived ids that make a retried transaction write the very same rows.

A handler never touches idempotency (the bus owns it) and never reads a policy judgement
from its command: it asks ``ctx.policy(at)`` for the tenant's version in force.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel

from refundable.core.errors import NotFound
from refundable.core.jsontext import sorted_strict, sorted_text
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger.entries import JournalEntry
from refundable.ledger.invariants import check_floors
from refundable.policy.compiled import CompiledPolicy
from refundable.service.catalog import PolicyCatalog
from refundable.service.ports import Repositories

_NS = uuid.UUID("6f1c1f5e-2a59-4c4e-9a3b-1e0d5b7c9a10")


class Detail(StrEnum):
    """The keys a receipt's details may carry (one vocabulary for CLI, API and tests)."""

    payment_id = "payment_id"
    refundable_left = "refundable_left"
    hold = "hold"
    hold_id = "hold_id"
    customer_id = "customer_id"
    resolution = "resolution"
    lots = "lots"
    accepted = "accepted"
    duplicates = "duplicates"
    rejected = "rejected"
    rejected_ids = "rejected_ids"
    route = "route"
    reinstated = "reinstated"
    valid_until = "valid_until"
    decision_id = "decision_id"
    outcome = "outcome"
    amount = "amount"
    policy_version = "policy_version"
    rule = "rule"
    material = "material"
    state = "state"  # a refund case's (or a subscription's) state after the command
    missing = "missing"  # what a refund case still asks for
    subscription_id = "subscription_id"
    access_until = "access_until"
    balance_due = "balance_due"
    stale = "stale"
    ran = "ran"
    skipped = "skipped"
    checkpoints = "checkpoints"  # rows a checkpoint run appended


@dataclass(frozen=True, slots=True)
class Receipt:
    """The result of a command; a replay returns an equal receipt with ``replayed`` set."""

    command: str
    idempotency_key: str
    entry_ids: tuple[str, ...]
    ref: str | None = None
    details: Mapping[Detail, str] = field(default_factory=dict)
    replayed: bool = field(default=False, compare=False)
    # The business object as the command left it (``Done.value``), for the caller to show
    # without reading it back; in memory only: never stored, so a replay has None.
    value: Any = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        return sorted_strict(
            {
                "command": self.command,
                "key": self.idempotency_key,
                "entries": list(self.entry_ids),
                "ref": self.ref,
                "details": {k.value: v for k, v in self.details.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        d = json.loads(text)
        details = {Detail(k): v for k, v in d["details"].items()}
        return cls(d["command"], d["key"], tuple(d["entries"]), d["ref"], details, True)


@dataclass(frozen=True, slots=True)
class Done:
    """What a handler did: the entries it posted, the business object, details to report."""

    entry_ids: tuple[str, ...] = ()
    ref: str | None = None
    details: Mapping[Detail, str] = field(default_factory=dict)
    value: Any = field(default=None, compare=False, repr=False)  # see Receipt.value

    @classmethod
    def of(
        cls,
        entries: Sequence[JournalEntry],
        ref: str | None = None,
        details: Mapping[Detail, str] | None = None,
    ) -> Done:
        return cls(tuple(e.entry_id for e in entries), ref, dict(details or {}))


@dataclass(frozen=True, slots=True)
class Context:
    """Where a handler works: the tenant's repositories in the bus's transaction, its policy
    catalog, and the key its entry ids derive from."""

    repos: Repositories
    catalog: PolicyCatalog
    key: str
    now: datetime  # when the command is handled (recorded, never a business instant)
    # the versions in force a command already asked for, by instant: one command reads the
    # same version more than once (intake: at receipt, then to decide), and no handler
    # publishes a version and then asks which is in force
    _in_force: dict[datetime, CompiledPolicy] = field(default_factory=dict, compare=False,
                                                      repr=False)  # fmt: skip

    @property
    def tenant_id(self) -> str:
        return self.repos.tenant_id

    def policy(self, at: datetime) -> CompiledPolicy:
        """The tenant's policy version in force at ``at`` (asked of the store once per
        command and instant)."""
        found = self._in_force.get(at)
        if found is None:
            found = self._in_force[at] = self.catalog.in_force(
                self.repos.tenants, self.repos.tenant_id, at
            )
        return found

    def entry_id(self, n: int = 0) -> str:
        return entry_id(self.repos.tenant_id, self.key, n)

    def post(self, entries: Sequence[JournalEntry]) -> None:
        """Post with floor checks, locking only the accounts that have a floor."""
        post_checked(self.repos, entries, self.key or None)


def entry_id(tenant_id: str, key: str, n: int = 0) -> str:
    """The n-th entry of the command with idempotency key ``key``."""
    return str(uuid.uuid5(_NS, f"{tenant_id}\x1fkey\x1f{key}\x1f{n}"))


def usage_entry_id(tenant_id: str, first_event_id: str) -> str:
    """A batch's entry for one customer, named after its first new event (unique forever)."""
    return str(uuid.uuid5(_NS, f"{tenant_id}\x1fusage\x1f{first_event_id}"))


def post_checked(repos: Repositories, entries: Sequence[JournalEntry], key: str | None) -> None:
    """Lock the accounts with a floor the entries touch, refuse if one would break, post."""
    floored = {line.account for e in entries for line in e.lines if line.account.floor is not None}
    balances = repos.journal.lock_balances(floored) if floored else {}
    check_floors(balances, entries)
    repos.journal.post(entries, key)


_AS_IS = frozenset({str, int, bool, float, type(None)})  # exactly these types: none below


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most of a command's fields: skip the checks below
        return value
    if isinstance(value, Money):
        return {"amount": str(value.amount.normalize()), "currency": value.currency}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
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
    return hashlib.sha256(sorted_text(body).encode()).hexdigest()


def not_found(what: str, ident: str) -> NotFound:
    return NotFound(f"no {what} {ident!r}", where=what, allowed=f"an existing {what} id")
