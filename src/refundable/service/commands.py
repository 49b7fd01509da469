"""Ledger commands: frozen requests named in the policies' own vocabulary.

Every command that moves money or credits carries an ``idempotency_key`` chosen by the caller
(a retry with the same payload returns the first result; the same key with another payload is
refused) and ``at``, the business instant it takes effect. ``IngestUsage`` is idempotent per
usage event id instead, so a re-sent batch (or an overlapping one) never double-charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from refundable.core.money import Money
from refundable.ledger.accounts import CREDIT_UNIT
from refundable.ledger.lots import DEFAULT_PRIORITY, LotPriority, LotSource
from refundable.ledger.money_ops import FeeFrom
from refundable.ledger.payments import Method
from refundable.ledger.transfers import TransferRoute
from refundable.ledger.usage import UsageEvent


class TopUpMode(Enum):
    manual = "manual"
    automatic = "automatic"


class PaidFrom(Enum):
    """How a credit lot's price is settled: from the wallet, from account credit, or billed
    (added to the receivable and paid later with RecordPayment)."""

    wallet = "wallet"
    account_credit = "account_credit"
    invoice = "invoice"


class ForfeitReason(Enum):
    termination = "termination"
    closure = "closure"


class HoldResolution(Enum):
    """How the dispute behind an account hold ended."""

    won = "won"  # decided for the business
    lost = "lost"  # decided for the customer
    withdrawn = "withdrawn"  # the customer or the issuer dropped it


@dataclass(frozen=True, slots=True)
class RegisterCustomer:
    tenant_id: str
    idempotency_key: str
    customer_id: str
    reseller_id: str | None = None
    group_id: str | None = None
    approved_nonprofit: bool = False


@dataclass(frozen=True, slots=True)
class RecordCharge:
    tenant_id: str
    idempotency_key: str
    charge_id: str
    customer_id: str
    amount: Money
    at: datetime
    memo: str = ""


@dataclass(frozen=True, slots=True)
class RecordPayment:
    tenant_id: str
    idempotency_key: str
    payment_id: str
    customer_id: str
    amount: Money
    method: Method
    provider: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class TopUpWallet:
    tenant_id: str
    idempotency_key: str
    payment_id: str
    customer_id: str
    amount: Money
    method: Method
    provider: str | None
    at: datetime
    mode: TopUpMode = TopUpMode.manual


@dataclass(frozen=True, slots=True)
class BuyCreditLot:
    tenant_id: str
    idempotency_key: str
    lot_id: str
    customer_id: str
    units: int
    price: Money
    valid_until: datetime
    source: LotSource
    at: datetime
    paid_from: PaidFrom = PaidFrom.invoice
    priority: int = 0
    unit: str = CREDIT_UNIT


@dataclass(frozen=True, slots=True)
class ConsumeCredits:
    tenant_id: str
    idempotency_key: str
    event_id: str
    customer_id: str
    units: int
    at: datetime
    unit: str = CREDIT_UNIT
    priority: LotPriority = DEFAULT_PRIORITY


@dataclass(frozen=True, slots=True)
class IngestUsage:
    """A batch of usage events, each with its own id; idempotent per event id. With
    ``partial`` the events that cannot be covered are returned as rejected instead of
    refusing the whole batch."""

    tenant_id: str
    events: tuple[UsageEvent, ...]
    at: datetime
    unit: str = CREDIT_UNIT
    priority: LotPriority = DEFAULT_PRIORITY
    partial: bool = False


@dataclass(frozen=True, slots=True)
class FailUsage:
    tenant_id: str
    idempotency_key: str
    event_id: str
    cause: str
    reinstate: bool
    at: datetime
    valid_until: datetime | None = None  # for reinstated credits; default: the original lot's


@dataclass(frozen=True, slots=True)
class ExpireLots:
    tenant_id: str
    idempotency_key: str
    as_of: datetime
    unit: str = CREDIT_UNIT


@dataclass(frozen=True, slots=True)
class ForfeitCredits:
    tenant_id: str
    idempotency_key: str
    customer_id: str
    reason: ForfeitReason
    at: datetime
    unit: str = CREDIT_UNIT
    account_credit_currencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TransferWallet:
    tenant_id: str
    idempotency_key: str
    transfer_id: str
    from_customer: str
    to_customer: str
    amount: Money
    at: datetime
    on_termination: bool = False
    # The routes the policy in force allows (service.policy_rules.transfer_routes); none by
    # default, so no transfer moves money without a policy's permission.
    allowed: frozenset[TransferRoute] = frozenset()


@dataclass(frozen=True, slots=True)
class PayRefund:
    tenant_id: str
    idempotency_key: str
    refund_id: str
    payment_id: str
    amount: Money
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class GrantAccountCredit:
    tenant_id: str
    idempotency_key: str
    grant_id: str
    customer_id: str
    amount: Money
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChargeFee:
    tenant_id: str
    idempotency_key: str
    fee_id: str
    customer_id: str
    amount: Money
    at: datetime
    reason: str = ""
    charge_to: FeeFrom = FeeFrom.wallet


@dataclass(frozen=True, slots=True)
class RecordChargeback:
    tenant_id: str
    idempotency_key: str
    dispute_id: str
    payment_id: str
    amount: Money
    at: datetime
    hold: bool = True
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReleaseHold:
    """End an account hold once its issue is resolved. Writes a release record (the hold
    itself is append-only and never changes) and no journal entry."""

    tenant_id: str
    idempotency_key: str
    hold_id: str
    at: datetime
    resolution: HoldResolution
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReverseEntry:
    tenant_id: str
    idempotency_key: str
    entry_id: str
    at: datetime
    memo: str = ""


Command = (
    RegisterCustomer
    | RecordCharge
    | RecordPayment
    | TopUpWallet
    | BuyCreditLot
    | ConsumeCredits
    | IngestUsage
    | FailUsage
    | ExpireLots
    | ForfeitCredits
    | TransferWallet
    | PayRefund
    | GrantAccountCredit
    | ChargeFee
    | RecordChargeback
    | ReleaseHold
    | ReverseEntry
)
