"""API keys: who may call the HTTP API, for which tenant, in which role.

A key is shown once, when it is created, and stored only as a prefix (its public id, used to
find the row) and the SHA-256 of its secret part. The secret is 256 random bits, so a fast hash
is enough: there is nothing to brute-force that a slow password hash would protect (ADR 0058).
Checking compares digests in constant time. A revoked key stays stored (who had access when),
it only stops working.

Keys are not money or policy: they live beside the bus, in their own small store
(:class:`ApiKeys`), written by the ``refundable api-keys`` command and the admin endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from refundable.core.errors import InputError, NotFound
from refundable.core.limits import echo

KEY_PREFIX = "rk"
_KEY = re.compile(r"^rk_([a-z0-9-]{1,48})\.([A-Za-z0-9_-]{16,128})$")
_NAME_MAX = 200


class Role(StrEnum):
    """What a key may do: ``read_only`` reads; ``agent`` also writes (money, cases, usage);
    ``admin`` also manages policies, test clocks and keys."""

    read_only = "read_only"
    agent = "agent"
    admin = "admin"

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.read_only: 0, Role.agent: 1, Role.admin: 2}


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key (never its secret)."""

    key_id: str
    tenant_id: str
    role: Role
    name: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: one tenant, one role (from its key)."""

    tenant_id: str
    role: Role
    key_id: str


class ApiKeys(Protocol):
    """The key store (SQL or memory). ``find`` reads by the key's public id."""

    def add(self, key: ApiKey) -> None: ...
    def find(self, key_id: str) -> ApiKey | None: ...
    def of_tenant(self, tenant_id: str) -> list[ApiKey]: ...
    def revoke(self, tenant_id: str, key_id: str, at: datetime) -> bool: ...


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_id(tenant_id: str) -> str:
    stem = re.sub(r"[^a-z0-9-]", "-", tenant_id.lower())[:24]
    return f"{stem}-{secrets.token_hex(6)}"


def create_key(
    keys: ApiKeys,
    tenant_id: str,
    role: Role,
    name: str,
    at: datetime,
    *,
    key_id: str | None = None,
    secret: str | None = None,
) -> str:
    """Store a new key and return it in full (the only time it is ever shown). ``key_id`` and
    ``secret`` are given only by the demo seed, whose keys are published on purpose."""
    if not 0 < len(name) <= _NAME_MAX:
        raise InputError("a key needs a name", where="name", allowed=f"1-{_NAME_MAX} characters")
    kid = key_id or new_key_id(tenant_id)
    raw = secret or secrets.token_urlsafe(32)
    if not _KEY.match(f"{KEY_PREFIX}_{kid}.{raw}"):
        raise InputError(
            f"{echo(kid)} cannot name a key",
            where="key_id",
            allowed="lowercase letters, digits and '-', 1-48",
        )
    existing = keys.find(kid)
    if existing is not None:
        if existing.tenant_id == tenant_id and hmac.compare_digest(
            existing.secret_hash, hash_secret(raw)
        ):
            return f"{KEY_PREFIX}_{kid}.{raw}"  # the demo seed, run again
        raise InputError(f"key id {echo(kid)} is taken", where="key_id")
    keys.add(ApiKey(kid, tenant_id, role, name, hash_secret(raw), at))
    return f"{KEY_PREFIX}_{kid}.{raw}"


def authenticate(keys: ApiKeys, presented: str) -> Principal | None:
    """The principal of a presented key, or None (unknown, malformed, wrong or revoked: the
    caller cannot tell which, on purpose)."""
    match = _KEY.match(presented)
    if match is None:
        return None
    stored = keys.find(match.group(1))
    if stored is None or not stored.active:
        return None
    if not hmac.compare_digest(stored.secret_hash, hash_secret(match.group(2))):
        return None
    return Principal(stored.tenant_id, stored.role, stored.key_id)


def revoke_key(keys: ApiKeys, tenant_id: str, key_id: str, at: datetime) -> None:
    if not keys.revoke(tenant_id, key_id, at):
        raise NotFound(
            f"no active key {echo(key_id)} for tenant {tenant_id}",
            where="key_id",
            allowed="an id listed by `refundable api-keys list`",
        )


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InputError(
            f"{echo(text)} is not a role", where="role", allowed=", ".join(r.value for r in Role)
        ) from None
