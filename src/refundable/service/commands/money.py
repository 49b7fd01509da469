"""Money commands: customers, charges, payments, wallet moves, and the refunds, credits and
fees that follow a recorded decision.

No field carries a policy judgement: transfer routes, holds and amounts owed back come from
the tenant's policy in force (the handler asks the catalog). A refund, account credit or fee
names the decision it carries out and posts exactly that decision's amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger.holds import HoldResolution
from refundable.ledger.money_ops import FeeFrom
from refundable.policy.facts import Request
from refundable.service.commands.base import Command, bad


class TopUpMode(Enum):
    manual = "manual"
    automatic = "automatic"


@dataclass(frozen=True, slots=True)
class RegisterCustomer(Command):
    tenant_id: str
    idempotency_key: str
    customer_id: str
    reseller_id: str | None = None
    group_id: str | None = None
    approved_nonprofit: bool = False
    BUSINESS_KEYS = (("customer", "customer_id"),)


@dataclass(frozen=True, slots=True)
class RecordCharge(Command):
    tenant_id: str
    idempotency_key: str
    charge_id: str
    customer_id: str
    amount: Money
    at: datetime
    memo: str = ""
    BUSINESS_KEYS = (("charge", "charge_id"),)


@dataclass(frozen=True, slots=True)
class RecordPayment(Command):
    tenant_id: str
    idempotency_key: str
    payment_id: str
    customer_id: str
    amount: Money
    method: Method
    provider: str | None
    at: datetime
    BUSINESS_KEYS = (("payment", "payment_id"),)


@dataclass(frozen=True, slots=True)
class TopUpWallet(Command):
    tenant_id: str
    idempotency_key: str
    payment_id: str
    customer_id: str
    amount: Money
    method: Method
    provider: str | None
    at: datetime
    mode: TopUpMode = TopUpMode.manual
    BUSINESS_KEYS = (("payment", "payment_id"),)


@dataclass(frozen=True, slots=True)
class TransferWallet(Command):
    """Wallet to wallet; the routes allowed are the policy's (``wallet.transfers_allowed``)."""

    tenant_id: str
    idempotency_key: str
    transfer_id: str
    from_customer: str
    to_customer: str
    amount: Money
    at: datetime
    on_termination: bool = False
    BUSINESS_KEYS = (("transfer", "transfer_id"),)


@dataclass(frozen=True, slots=True)
class DecideRefund(Command):
    """Decide a refund request under the tenant's policy in force when it was made, and keep
    the decision (version, rule, clauses, amounts) for the money movements that follow it."""

    tenant_id: str
    idempotency_key: str
    decision_id: str
    customer_id: str
    request: Request
    BUSINESS_KEYS = (("decision", "decision_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if not isinstance(self.request, Request):
            raise bad("DecideRefund.request", self.request, "a parsed refund request")


@dataclass(frozen=True, slots=True)
class PayRefund(Command):
    """Pay back exactly the net amount of an approved refund decision to the payment's source."""

    tenant_id: str
    idempotency_key: str
    refund_id: str
    payment_id: str
    decision_id: str
    at: datetime
    reason: str = ""
    BUSINESS_KEYS = (("refund", "refund_id"), ("refund_of", "decision_id"))


@dataclass(frozen=True, slots=True)
class GrantAccountCredit(Command):
    """Credit exactly the net amount of an approved account-credit decision."""

    tenant_id: str
    idempotency_key: str
    grant_id: str
    customer_id: str
    decision_id: str
    at: datetime
    reason: str = ""
    BUSINESS_KEYS = (("grant", "grant_id"), ("grant_of", "decision_id"))


@dataclass(frozen=True, slots=True)
class ChargeFee(Command):
    """Post exactly the fees a decision set (e.g. a refund's administration fee), taken from
    the wallet or added to what the customer owes."""

    tenant_id: str
    idempotency_key: str
    fee_id: str
    customer_id: str
    decision_id: str
    at: datetime
    reason: str = ""
    charge_to: FeeFrom = FeeFrom.wallet
    BUSINESS_KEYS = (("fee", "fee_id"), ("fee_of", "decision_id"))


@dataclass(frozen=True, slots=True)
class RecordChargeback(Command):
    """The provider pulled a payment back. Whether the account is held is the policy's call."""

    tenant_id: str
    idempotency_key: str
    dispute_id: str
    payment_id: str
    amount: Money
    at: datetime
    reason: str = ""
    BUSINESS_KEYS = (("chargeback", "dispute_id"),)


@dataclass(frozen=True, slots=True)
class ReleaseHold(Command):
    """End an account hold once its issue is resolved (a release record, no journal entry)."""

    tenant_id: str
    idempotency_key: str
    hold_id: str
    at: datetime
    resolution: HoldResolution
    reason: str = ""
    BUSINESS_KEYS = (("release", "hold_id"),)


@dataclass(frozen=True, slots=True)
class ReverseEntry(Command):
    tenant_id: str
    idempotency_key: str
    entry_id: str
    at: datetime
    memo: str = ""
