"""Who may sign in to the console and the portal, and which sign-in links were already used.

Console logins belong to one tenant and carry a role (admin, agent, read-only) and an Argon2
password hash; portal logins belong to one customer of one tenant and have no password (the
customer signs in by an emailed one-time link). Like API keys, logins are neither money nor
policy: they live beside the bus in their own small store (:class:`Logins`, SQL or memory),
written by the demo seed and read by the web entry point (ADR 0061).

A sign-in link is single use because redeeming it inserts its id into an insert-only table
whose key refuses a second insert: two tabs racing on the same link cannot both win. The same
key limits how many links an address is mailed (:func:`may_send_link`, ADR 0086).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from refundable.core import limits
from refundable.core.errors import Conflict, InputError

MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit
LINKS_PER_WINDOW = 3  # sign-in links mailed to one address per window, at most
LINK_WINDOW_S = 15 * 60
_EMAIL = re.compile(r"^[a-z0-9._%+\-]{1,64}@[a-z0-9\-]{1,63}(\.[a-z0-9\-]{1,63})+$")


class Role(StrEnum):
    """What a signed-in person may do. Staff roles rank read_only < agent < admin; a
    ``customer`` is outside that ladder: it sees only its own customer's pages."""

    read_only = "read_only"
    agent = "agent"
    admin = "admin"
    customer = "customer"

    @property
    def staff(self) -> bool:
        return self is not Role.customer

    def allows(self, needed: Role) -> bool:
        """True when this staff role may do what ``needed`` may (customers never pass)."""
        return self.staff and needed.staff and _RANK[self] >= _RANK[needed]


_RANK = {Role.read_only: 0, Role.agent: 1, Role.admin: 2}


@dataclass(frozen=True, slots=True)
class Login:
    """One person's way in. ``password_hash`` only for staff; ``customer_id`` only for
    customers."""

    tenant_id: str
    email: str
    role: Role
    created_at: datetime
    password_hash: str | None = None
    customer_id: str | None = None

    def __post_init__(self) -> None:
        if self.role.staff != (self.password_hash is not None):
            raise InputError(
                f"a login with role {self.role.value} "
                f"{'needs a' if self.role.staff else 'takes no'} password",
                where="login.password",
                allowed="a password for staff, none for customers (they get sign-in links)",
            )
        if (self.role is Role.customer) != (self.customer_id is not None):
            raise InputError(
                "only a customer login names a customer",
                where="login.customer_id",
                allowed="a customer id for role customer, none for staff",
            )


def normal_email(value: object, where: str = "email") -> str:
    """The address as stored and compared: trimmed, lower case, and plausibly deliverable."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if len(text) > MAX_EMAIL_LENGTH or not _EMAIL.match(text):
        raise InputError(
            f"{limits.echo(value)} is not an email address",
            where=where,
            allowed=f"name@domain.tld, at most {MAX_EMAIL_LENGTH} characters",
        )
    return text


def login_taken(login: Login) -> Conflict:
    return Conflict(
        f"{login.email} already has a login at tenant {login.tenant_id}",
        where="email",
        allowed="an address with no login yet",
    )


class Logins(Protocol):
    """The login store. ``add`` of an email the tenant already has is refused (Conflict)."""

    def add(self, login: Login) -> None: ...
    def find(self, tenant_id: str, email: str) -> Login | None: ...
    def of_tenant(self, tenant_id: str) -> list[Login]: ...
    def tenants(self) -> list[str]: ...  # tenants with at least one login, sorted

    def use_link(self, tenant_id: str, link_id: str, email: str, at: datetime) -> bool:
        """Record the link as used; False if it already was (then nothing is written)."""
        ...


def link_slots(email: str, at: datetime) -> list[str]:
    """The ids under which a link mailed to ``email`` at ``at`` may be recorded: one per
    link the address may get in the fixed window ``at`` falls in. A link's own id is URL-safe
    base64, which has no ``:``, so a slot never takes a link's place."""
    window = int(at.timestamp()) // LINK_WINDOW_S
    digest = hashlib.sha256(email.encode()).hexdigest()[:40]
    return [f"sent:{window}:{n}:{digest}" for n in range(LINKS_PER_WINDOW)]


def may_send_link(logins: Logins, tenant_id: str, email: str, at: datetime) -> bool:
    """Claim a slot for mailing ``email`` a sign-in link now; False when the window's slots
    are taken (then nothing is written and no link is mailed). The slots are rows of the
    used-links table, so every serve process sharing the store shares the limit, and its key
    lets exactly one of two processes racing for the last slot win."""
    return any(logins.use_link(tenant_id, slot, email, at) for slot in link_slots(email, at))
