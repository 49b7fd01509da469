"""Personal data and its retention (ADR 0051): record a customer's contact details, date
their purge after a suspension, cancellation or termination, withdraw the date when the account
comes back, erase on request. The purge itself is a scheduled action (``retention_purge``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from refundable.billing.rules import RetentionTrigger
from refundable.core import limits
from refundable.service.commands.base import Command, bad

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class RecordCustomerProfile(Command):
    """A customer's name and contact details (replacing what was held), kept apart from the
    ledger so that a purge can drop them and keep every amount."""

    tenant_id: str
    idempotency_key: str
    customer_id: str
    at: datetime
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        given = {f: getattr(self, f) for f in ("email", "phone", "address")}
        for field_name, value in given.items():
            if value is not None and (
                not isinstance(value, str) or not 0 < len(value) <= limits.MAX_TEXT_LENGTH
            ):
                raise bad(f"RecordCustomerProfile.{field_name}", value,
                          f"text of 1 to {limits.MAX_TEXT_LENGTH} characters")  # fmt: skip
        if self.email is not None and not _EMAIL.match(self.email):
            raise bad("RecordCustomerProfile.email", self.email, "an address like name@example.com")
        if self.name is None and not any(given.values()):
            raise bad("RecordCustomerProfile", None, "at least one of name, email, phone, address",
                      "profile")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScheduleRetention(Command):
    """Date the purge of a customer's personal data after ``trigger`` at ``at``, as the policy
    in force at ``at`` says (the latest trigger replaces an earlier date)."""

    tenant_id: str
    idempotency_key: str
    customer_id: str
    trigger: RetentionTrigger
    at: datetime


@dataclass(frozen=True, slots=True)
class WithdrawRetention(Command):
    """The account came back (reinstated, reactivated): its personal data is kept."""

    tenant_id: str
    idempotency_key: str
    customer_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ErasePersonalData(Command):
    """Erase a customer's personal data now, on request; amounts stay in the ledger."""

    tenant_id: str
    idempotency_key: str
    customer_id: str
    at: datetime
