"""Personal data, its retention schedule and its erasure, as pure records.

A customer's names and contact details live in a profile, apart from the ledger: erasing them
blanks the profile and leaves every amount, entry and account where it is (the ledger names a
customer only by id). A retention schedule says when the profile is purged and why (the
policy's clause for the trigger: suspension, cancellation, termination); the latest trigger
replaces an earlier schedule, a reinstatement withdraws it, and a purge marks it purged. Every
erasure is recorded (what was deleted, when, why), so the customer's record says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from refundable.billing.rules import Retention, RetentionTrigger


class PersonalField(StrEnum):
    """The personal data a profile holds; every one of them goes in a purge."""

    name = "name"
    email = "email"
    phone = "phone"
    address = "address"


class ErasureReason(StrEnum):
    suspension = "suspension"
    cancellation = "cancellation"
    termination = "termination"
    request = "request"  # the customer (or the business for them) asked for it


class ScheduleState(StrEnum):
    scheduled = "scheduled"
    withdrawn = "withdrawn"  # the account came back before the date
    purged = "purged"


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    tenant_id: str
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    updated_at: datetime
    erased_at: datetime | None = None

    def held(self) -> tuple[PersonalField, ...]:
        """The personal fields that still hold something."""
        return tuple(f for f in PersonalField if getattr(self, f.value) is not None)

    def erased(self, at: datetime) -> CustomerProfile:
        blank = {f.value: None for f in PersonalField}
        return replace(self, **blank, updated_at=at, erased_at=at)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RetentionSchedule:
    """When a customer's personal data is purged, after which trigger, under which clause.
    Export is available until ``purge_at``."""

    tenant_id: str
    customer_id: str
    trigger: RetentionTrigger
    trigger_at: datetime
    purge_at: datetime
    clause: str
    state: ScheduleState
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Erasure:
    """What was deleted of one customer's personal data, when and why."""

    tenant_id: str
    customer_id: str
    erased_at: datetime
    fields: tuple[PersonalField, ...]
    reason: ErasureReason
    clause: str | None


def schedule_for(
    tenant_id: str,
    customer_id: str,
    retention: Retention,
    trigger: RetentionTrigger,
    at: datetime,
    now: datetime,
) -> RetentionSchedule | None:
    """The purge the policy's retention sets for ``trigger`` at ``at`` (None: no period)."""
    period = retention.period(trigger)
    if period is None:
        return None
    days, clause = period
    return RetentionSchedule(
        tenant_id,
        customer_id,
        trigger,
        at,
        at + timedelta(days=days),
        clause,
        ScheduleState.scheduled,
        now,
    )


def erasure_of(
    profile: CustomerProfile, at: datetime, reason: ErasureReason, clause: str | None
) -> tuple[CustomerProfile, Erasure]:
    """The profile blanked, and the record of what that deleted."""
    return profile.erased(at), Erasure(
        profile.tenant_id, profile.customer_id, at, profile.held(), reason, clause
    )
