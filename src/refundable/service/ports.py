"""What the service layer needs from storage: one small repository protocol per aggregate,
all inside one unit of work (one transaction, committed explicitly or rolled back on any
exception, so a refused command writes nothing).

The domain records these repositories hand out live in their domain packages (``ledger``,
``tenants``); this module only says what can be asked. ``lock*`` methods take row locks on
PostgreSQL (``FOR UPDATE``, in a fixed order: payment, then lots, then accounts) and rely on
SQLite's ``BEGIN IMMEDIATE`` writer lock. New aggregates (subscriptions, cases, scheduled
actions, outbox) join as new fields of :class:`Repositories`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol

from refundable.billing.plans import Plan
from refundable.billing.promotions import Promotion
from refundable.billing.records import (
    Discontinuation,
    PaymentMethodOnFile,
    SubscriptionEvent,
    SubscriptionRecord,
)
from refundable.cases.model import Case, CaseEvent
from refundable.core.methods import Method
from refundable.core.money import FxRate, Money
from refundable.ledger.accounts import AccountKey
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
from refundable.tenants.model import PolicyVersion, Tenant


class StepUndoFailed(Exception):
    """A failed command's step of a group commit could not be undone: the whole transaction
    must be rolled back (nothing of the batch is kept) and each command run again alone."""


class Retry(Exception):
    """A transient storage conflict (deadlock, serialization failure, a concurrent insert of
    the same key): the whole command is run again from the start."""


@dataclass(frozen=True, slots=True)
class Claim:
    """What the idempotency table already holds for a key (``result`` None while in flight)."""

    command: str
    payload_hash: str
    result: str | None


class Receipts(Protocol):
    """Idempotency keys and business keys with the receipt of the command that used them."""

    def claim(self, keys: Sequence[str], command: str, payload_hash: str) -> dict[str, Claim]:
        """Claim every key not taken yet; return what the taken ones hold."""
        ...

    def remember(self, keys: Sequence[str], result: str) -> None: ...


class Customers(Protocol):
    def get(self, customer_id: str) -> Party | None: ...
    def add(self, party: Party) -> None: ...


class Journal(Protocol):
    def lock_balances(self, accounts: Iterable[AccountKey]) -> dict[AccountKey, int]: ...
    def post(self, entries: Sequence[JournalEntry], idem_key: str | None) -> None: ...
    def get(self, entry_id: str) -> JournalEntry | None: ...
    def is_reversed(self, entry_id: str) -> bool: ...


class Lots(Protocol):
    def lock_open(self, customer_ids: Iterable[str], unit: str) -> dict[str, list[CreditLot]]: ...
    def get(self, lot_ids: Iterable[str]) -> dict[str, CreditLot]: ...
    def lock_expiring(
        self, as_of: datetime, unit: str, limit: int | None = None
    ) -> list[CreditLot]: ...  # the first ``limit`` by lot id
    def add(self, lots: Sequence[CreditLot], entry_id: str) -> None: ...
    def save(self, lots: Sequence[CreditLot]) -> None: ...


class Payments(Protocol):
    def lock(self, payment_id: str) -> Payment | None: ...
    def add(self, payment: Payment) -> None: ...
    def save(self, payment: Payment) -> None: ...
    def add_return(
        self, kind: str, return_id: str, payment: Payment, amount_minor: int, entry_id: str,
        at: datetime, reason: str,
    ) -> None: ...  # fmt: skip


class Usage(Protocol):
    def known(self, event_ids: Sequence[str]) -> dict[str, tuple[str, int]]: ...
    def add(
        self,
        events: Sequence[UsageEvent],
        entry_of: Mapping[str, str],
        allocations: Sequence[Allocation],
    ) -> None: ...
    def get(self, event_id: str) -> UsageEvent | None: ...
    def allocations_of(self, event_id: str) -> list[Allocation]: ...
    def add_failure(
        self, event_id: str, cause: str, reinstated: bool, entry_id: str | None, at: datetime
    ) -> None: ...


class Holds(Protocol):
    def add(self, hold: Hold) -> None: ...
    def lock(self, hold_id: str) -> Hold | None: ...
    def release(self, hold_id: str, resolution: str, reason: str, at: datetime) -> None: ...


class Decisions(Protocol):
    def add(self, record: DecisionRecord) -> None: ...
    def get(self, decision_id: str) -> DecisionRecord | None: ...


class Tenants(Protocol):
    """Tenants and their published policy versions (not scoped to one tenant)."""

    def get(self, tenant_id: str) -> Tenant | None: ...
    def add(self, tenant: Tenant) -> None: ...
    def versions(self, tenant_id: str) -> list[PolicyVersion]: ...
    def digest_in_force(self, tenant_id: str, at: datetime) -> str | None: ...
    def version(self, tenant_id: str, digest: str) -> PolicyVersion | None: ...
    def add_version(self, version: PolicyVersion) -> None: ...


class Schedule(Protocol):
    """Due work (scheduled actions), written with the change that makes it due."""

    def add(self, actions: Sequence[ScheduledAction]) -> None: ...  # the same id twice: once
    def lock(self, action_id: str) -> ScheduledAction | None: ...  # None if another has it
    def claim_due(self, as_of: datetime, limit: int) -> list[ScheduledAction]: ...  # ADR 0065
    def save(self, action: ScheduledAction) -> None: ...
    def get(self, action_id: str) -> ScheduledAction | None: ...


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A side effect to send after commit (email, webhook), written in the same transaction."""

    message_id: str
    kind: str
    payload: Mapping[str, str]
    created_at: datetime


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None: ...  # the same id twice: once


class TestClocks(Protocol):
    def get(self) -> TestClock | None: ...
    def add(self, clock: TestClock) -> None: ...
    def save(self, clock: TestClock) -> None: ...


class PersonalData(Protocol):
    """Customers' personal data, its retention schedule and its erasures (ADR 0051)."""

    def profile(self, customer_id: str) -> CustomerProfile | None: ...
    def save_profile(self, profile: CustomerProfile) -> None: ...  # insert or replace
    def lock_schedule(self, customer_id: str) -> RetentionSchedule | None: ...
    def save_schedule(self, schedule: RetentionSchedule) -> None: ...  # insert or replace
    def add_erasure(self, erasure: Erasure) -> None: ...
    def erasures(self, customer_id: str) -> list[Erasure]: ...


class Cases(Protocol):
    """Refund cases: the current state of each, its append-only events, and the stored
    records a case reads its facts from (ADR 0052)."""

    def add(self, case: Case) -> None: ...
    def lock(self, case_id: str) -> Case | None: ...
    def save(self, case: Case) -> None: ...
    def open_with(self, open_key: str) -> str | None: ...  # the open case holding the key
    def add_events(self, events: Sequence[CaseEvent]) -> None: ...
    def events(self, case_id: str) -> list[CaseEvent]: ...
    def of_customer(self, customer_id: str) -> list[Case]: ...
    def entry_by_ref(self, kind: str, ref: str) -> JournalEntry | None: ...  # e.g. a charge
    def chargebacks_of(self, customer_id: str) -> int: ...  # chargebacks on their payments


class Subscriptions(Protocol):
    """Plans, subscriptions (current state) and their append-only history (ADR 0046)."""

    def plan(self, plan_id: str) -> Plan | None: ...
    def add_plan(self, plan: Plan) -> None: ...
    def plans(self) -> list[Plan]: ...  # the tenant's plans, by tier then code
    def lock(self, subscription_id: str) -> SubscriptionRecord | None: ...
    def get(self, subscription_id: str) -> SubscriptionRecord | None: ...
    def of_customer(self, customer_id: str) -> list[SubscriptionRecord]: ...  # newest first
    def page(
        self, after: str | None, limit: int, state: str | None = None
    ) -> list[SubscriptionRecord]:
        """Up to ``limit`` subscriptions in id order after the id ``after`` (in ``state``
        when given): one page of the tenant's list, read by keyset (ADR 0078)."""
        ...

    def add(self, record: SubscriptionRecord) -> None: ...
    def save(self, record: SubscriptionRecord) -> None: ...  # refused unless version + 1
    def append(self, event: SubscriptionEvent) -> None: ...
    def history(self, subscription_id: str) -> list[SubscriptionEvent]: ...
    def open_holds(self, customer_id: str) -> int: ...  # account holds not released yet
    def payment_method(self, customer_id: str) -> PaymentMethodOnFile | None: ...  # current
    def add_payment_method(self, pm: PaymentMethodOnFile) -> None: ...  # append-only history
    def live(self, plan_id: str | None) -> list[SubscriptionRecord]: ...  # not ended, by id
    def latest_payment(self, customer_id: str) -> str | None: ...  # by a provider, newest
    def add_discontinuation(self, d: Discontinuation) -> None: ...
    def discontinuations(self) -> list[Discontinuation]: ...
    def promotion(self, code: str) -> Promotion | None: ...
    def add_promotion(self, promo: Promotion) -> None: ...  # fixed once defined, like a plan


class Checkpoints(Protocol):
    """Balance checkpoints of the tenant's hot accounts (ADR 0040, 0045)."""

    def refresh(self, accounts: int) -> int: ...  # rows appended, for at most ``accounts``


@dataclass(frozen=True, slots=True)
class Repositories:
    """One tenant's repositories, all in the same transaction."""

    tenant_id: str
    receipts: Receipts
    customers: Customers
    journal: Journal
    lots: Lots
    payments: Payments
    usage: Usage
    holds: Holds
    decisions: Decisions
    tenants: Tenants
    schedule: Schedule
    outbox: Outbox
    clocks: TestClocks
    personal: PersonalData

    cases: Cases
    subscriptions: Subscriptions
    checkpoints: Checkpoints
    payouts: Payouts
    webhooks: WebhookEndpoints


class UnitOfWork(Protocol):
    # The decisions recorded through ``Decisions.add`` in this transaction, in order (a step
    # undone takes its own out): the bus reports them once committed (ADR 0084).
    decided: list[DecisionRecord]

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def repositories(self, tenant_id: str) -> Repositories: ...
    def commit(self) -> None: ...
    def step(self, name: str = "command_step") -> AbstractContextManager[None]:
        """One command of a group commit (ADR 0072): what runs inside is kept when the block
        ends normally and undone, alone, when it raises; the transaction stays open."""
        ...

    def recording(self) -> AbstractContextManager[object | None]:
        """Rehearse one command on this (read) unit of work: its reads run, its writes are
        recorded; None where the store does not rehearse (ADR 0072)."""
        ...

    def replay(self, rec: object) -> None:
        """Run a rehearsal's writes here if its reads still give the same rows, else raise."""
        ...


# --- payment gateway and mail (payouts and notices, ADR 0055) ---------------------------------


class RefundStatus(StrEnum):
    """Where a gateway says a refund stands. ``pending`` settles later (poll or callback)."""

    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


@dataclass(frozen=True, slots=True)
class GatewayRefundRequest:
    """One refund asked of a payment gateway. ``idempotency_key`` is ours (derived from the
    outbox message that carries the payout), so a crashed worker's retry is a replay at the
    gateway too, never a second refund."""

    idempotency_key: str
    amount: Money
    payment_ref: str  # the original payment's reference at the gateway
    method: Method  # the instrument the money goes back to
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    """What the gateway answered (or answers now, when asked again)."""

    gateway_refund_id: str
    status: RefundStatus
    failure_reason: str | None = None


class GatewayUnavailable(Exception):
    """The gateway did not answer in time or answered 5xx: the outcome is unknown, so the same
    request (same idempotency key) is sent again later. Not a decline."""


class ChargeStatus(StrEnum):
    """Where a gateway says a charge (a collection from the customer) stands."""

    pending = "pending"  # e.g. the bank asks the customer to authenticate: asked again later
    succeeded = "succeeded"
    failed = "failed"  # declined: the customer's money did not move


@dataclass(frozen=True, slots=True)
class GatewayChargeRequest:
    """One charge asked of a payment gateway against the customer's payment method on file
    (ADR 0066). ``idempotency_key`` derives from the charge (the outbox message that carries
    it), so a retry after a timeout or a crash is a replay at the gateway, never a second
    collection."""

    idempotency_key: str
    amount: Money
    payment_method_ref: str  # the instrument on file at the gateway (e.g. Stripe's pm_...)
    customer_ref: str | None = None  # the gateway's customer, when it keeps one
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GatewayCharge:
    gateway_charge_id: str
    status: ChargeStatus
    failure_reason: str | None = None


class PaymentGateway(Protocol):
    """The payment provider: refunds (payouts) and charges (collections). ``refund`` and
    ``charge`` with a key already used return what that key created (never a second one)."""

    name: str

    def refund(self, request: GatewayRefundRequest) -> GatewayRefund: ...
    def refund_status(self, gateway_refund_id: str) -> GatewayRefund: ...
    def charge(self, request: GatewayChargeRequest) -> GatewayCharge: ...
    def charge_status(self, gateway_charge_id: str) -> GatewayCharge: ...


class Mailer(Protocol):
    """Sends one email (plain text, optionally an HTML alternative). Raises on failure; the
    outbox worker retries."""

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None: ...


class FxRates(Protocol):
    """The exchange rate prevailing now, with its source (MyProtektor 8.2). Raises
    ``FxRateMissing`` when the pair is unknown."""

    def rate(self, base: str, quote: str, at: datetime) -> FxRate: ...


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status_code: int
    body_excerpt: str = ""


class WebhookSender(Protocol):
    """POSTs one signed delivery; raises ``OSError``-like errors when the endpoint is
    unreachable (the worker retries)."""

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> WebhookResponse: ...


class Payouts(Protocol):
    """Payouts, one per case; ``save`` also appends the transition to ``payout_events``."""

    def add(self, payout: Payout) -> None: ...
    def lock(self, payout_id: str) -> Payout | None: ...
    def of_case(self, case_id: str) -> Payout | None: ...
    def save(self, payout: Payout, at: datetime) -> None: ...


class WebhookEndpoints(Protocol):
    def add(self, endpoint: WebhookEndpoint) -> None: ...
    def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...
    def all(self) -> list[WebhookEndpoint]: ...
