"""The in-memory store's tables: plain dictionaries of frozen domain records.

A unit of work copies the table dictionaries (not the records: they are immutable) and swaps
the copies in on commit, so a refused command leaves the store exactly as it was, like a
rolled-back transaction. One lock serialises units of work, as SQLite's writer lock does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from refundable.billing.plans import Plan
from refundable.billing.promotions import Promotion
from refundable.billing.records import (
    Discontinuation,
    PaymentMethodOnFile,
    SubscriptionEvent,
    SubscriptionRecord,
)
from refundable.cases.model import Case, CaseEvent
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.entries import JournalEntry
from refundable.ledger.holds import Hold
from refundable.ledger.lots import CreditLot
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent
from refundable.outbound.payouts import Payout
from refundable.outbound.webhooks import WebhookEndpoint
from refundable.privacy.model import CustomerProfile, Erasure, RetentionSchedule
from refundable.scheduling.model import ScheduledAction, TestClock
from refundable.service.outbox_store import Attempt, MessageState
from refundable.service.ports import Claim, OutboxMessage
from refundable.service.queries import PaymentReturn
from refundable.tenants.model import PolicyVersion, Tenant

TK = tuple[str, str]  # (tenant id, id)


@dataclass(frozen=True, slots=True)
class Failure:
    cause: str
    reinstated: bool
    entry_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class MemBook:
    """The outbox worker's bookkeeping of one message (the SQL store keeps it in columns)."""

    state: MessageState = MessageState.pending
    attempts: int = 0
    failures: int = 0
    next_at: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = None


@dataclass
class Tables:
    receipts: dict[TK, Claim] = field(default_factory=dict)
    parties: dict[TK, Party] = field(default_factory=dict)
    entries: dict[TK, tuple[int, JournalEntry]] = field(default_factory=dict)  # seq, entry
    reversed_by: dict[TK, str] = field(default_factory=dict)
    balances: dict[TK, int] = field(default_factory=dict)  # (tenant, account code)
    lots: dict[TK, CreditLot] = field(default_factory=dict)
    payments: dict[TK, Payment] = field(default_factory=dict)
    returns: dict[tuple[str, str, str], PaymentReturn] = field(default_factory=dict)
    events: dict[TK, UsageEvent] = field(default_factory=dict)
    allocations: dict[TK, tuple[Allocation, ...]] = field(default_factory=dict)
    failures: dict[TK, Failure] = field(default_factory=dict)
    holds: dict[TK, Hold] = field(default_factory=dict)
    decisions: dict[TK, DecisionRecord] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    versions: dict[TK, PolicyVersion] = field(default_factory=dict)  # (tenant, version)
    actions: dict[TK, ScheduledAction] = field(default_factory=dict)
    outbox: dict[TK, OutboxMessage] = field(default_factory=dict)
    clocks: dict[str, TestClock] = field(default_factory=dict)
    profiles: dict[TK, CustomerProfile] = field(default_factory=dict)
    retention: dict[TK, RetentionSchedule] = field(default_factory=dict)
    erasures: dict[tuple[str, str, datetime], Erasure] = field(default_factory=dict)
    cases: dict[TK, Case] = field(default_factory=dict)
    case_events: dict[tuple[str, str, int], CaseEvent] = field(default_factory=dict)
    plans: dict[TK, Plan] = field(default_factory=dict)
    subscriptions: dict[TK, SubscriptionRecord] = field(default_factory=dict)
    subscription_events: dict[tuple[str, str, int], SubscriptionEvent] = field(default_factory=dict)
    payment_methods: dict[tuple[str, str, int], PaymentMethodOnFile] = field(default_factory=dict)
    discontinuations: dict[TK, Discontinuation] = field(default_factory=dict)
    promotions: dict[TK, Promotion] = field(default_factory=dict)
    # payouts and notices (adapters/memory/outbound.py)
    payouts: dict[TK, Payout] = field(default_factory=dict)
    payout_events: dict[tuple[str, str, int], tuple[str, datetime]] = field(default_factory=dict)
    webhooks: dict[TK, WebhookEndpoint] = field(default_factory=dict)
    outbox_books: dict[TK, MemBook] = field(default_factory=dict)
    outbox_attempts: dict[tuple[str, str, int], Attempt] = field(default_factory=dict)

    def copy(self) -> Tables:
        return replace(self, **{f.name: dict(getattr(self, f.name)) for f in fields(self)})


class MemoryStore:
    """The committed state, shared by every unit of work of one app."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.RLock()
        self.seq = 0  # recording order of entries
