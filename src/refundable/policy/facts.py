"""The request vocabulary: what a refund request says, as a public contract.

Requests written outside the project (JSON or YAML) must run unchanged, so the field names
here are fixed by issue #2 and never renamed; fields may be added. Parsing is strict where
money and time are concerned: amounts are decimal strings (a float is refused, not rounded),
instants carry an offset (a naive datetime is refused), enumerations name their allowed values.
Unknown fields are refused too, so a typo ("reson") is an error rather than a silent default.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from refundable.core.money import MINOR_UNITS, to_decimal


def _strict_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError(
            f'amount {value!r} is a float; write it as a decimal string such as "{value}"'
        )
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"expected a decimal string, got {type(value).__name__}")
    return to_decimal(value)


def _aware(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO-8601 instant (e.g. 2026-03-02T10:15:00+02:00)"
            ) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError("a date is not an instant; give a time and an offset")
    if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(
            f"datetime {value.isoformat()} has no timezone; add an offset such as +02:00"
        )
    return value


def _currency(value: Any) -> Any:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise ValueError(f"unknown currency {value!r}; use an ISO-4217 code such as ZAR or USD")
    return value


Amount = Annotated[Decimal, BeforeValidator(_strict_decimal)]
Instant = Annotated[datetime, BeforeValidator(_aware)]
CurrencyCode = Annotated[str, BeforeValidator(_currency)]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=True, validate_default=True
    )


class Reason(StrEnum):
    duplicate_charge = "duplicate_charge"
    billing_error = "billing_error"
    unauthorized_charge = "unauthorized_charge"
    compromised_account = "compromised_account"
    service_non_delivery = "service_non_delivery"
    service_outage = "service_outage"
    technical_issue = "technical_issue"
    failed_delivery = "failed_delivery"
    change_of_mind = "change_of_mind"
    cooling_off = "cooling_off"
    cancellation = "cancellation"
    downgrade = "downgrade"
    account_closure = "account_closure"
    unintended_auto_topup = "unintended_auto_topup"
    system_error = "system_error"
    accidental_activation = "accidental_activation"
    wrongful_termination = "wrongful_termination"
    business_closure = "business_closure"
    project_cancellation = "project_cancellation"


class ChargeKind(StrEnum):
    subscription = "subscription"
    setup_fee = "setup_fee"
    message_credits = "message_credits"
    wallet_topup = "wallet_topup"
    usage = "usage"
    addon = "addon"
    project = "project"
    enhancement = "enhancement"
    expedited = "expedited"
    hosting = "hosting"
    training = "training"
    custom_development = "custom_development"


class Billing(StrEnum):
    once = "once"
    monthly = "monthly"
    annual = "annual"


class AccountStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"
    suspended = "suspended"
    terminated = "terminated"
    closed = "closed"


class ClosureCause(StrEnum):
    voluntary = "voluntary"
    non_payment = "non_payment"
    policy_violation = "policy_violation"
    provider_error = "provider_error"


class SignupChannel(StrEnum):
    direct_marketing = "direct_marketing"
    self_service = "self_service"
    sales = "sales"
    reseller = "reseller"


class IncidentCause(StrEnum):
    internal = "internal"
    third_party = "third_party"
    force_majeure = "force_majeure"
    user_error = "user_error"


class Impact(StrEnum):
    degraded = "degraded"
    wholly_unavailable = "wholly_unavailable"


class DeliveryFailureCause(StrEnum):
    platform = "platform"
    provider_api = "provider_api"
    invalid_recipient = "invalid_recipient"
    blocked = "blocked"
    device = "device"
    customer_error = "customer_error"


class Period(_Strict):
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError("period.end must be after period.start")
        return self


class Charge(_Strict):
    id: str | None = None
    kind: ChargeKind
    amount: Amount
    currency: CurrencyCode
    charged_at: Instant
    billing: Billing | None = None  # unknown unless stated (ADR 0017)
    period: Period | None = None
    # Unknown (None) unless stated: a rule that needs it asks (ADR 0017), never assumes no.
    initial_purchase: bool | None = None
    auto: bool | None = None
    correct_amount: Amount | None = None
    invoice_date: Instant | None = None
    payment_method: str | None = None

    @field_validator("amount", "correct_amount")
    @classmethod
    def _not_negative(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value < 0:
            raise ValueError("must not be negative")
        return value


class Account(_Strict):
    currency: CurrencyCode | None = None
    status: AccountStatus = AccountStatus.active
    closure_cause: ClosureCause | None = None
    signup_channel: SignupChannel | None = None
    is_business: bool = False
    wallet_balance: Amount | None = None
    amount_due: Amount | None = None
    closed_at: Instant | None = None


class Incident(_Strict):
    started_at: Instant
    resolved_at: Instant | None = None
    reported_at: Instant | None = None
    cause: IncidentCause
    impact: Impact | None = None  # unknown unless stated (ADR 0017)

    @model_validator(mode="after")
    def _ordered(self) -> Incident:
        if self.resolved_at is not None and self.resolved_at < self.started_at:
            raise ValueError("incident.resolved_at is before incident.started_at")
        return self


class FailedDelivery(_Strict):
    units: int = Field(ge=0)
    value: Amount | None = None
    cause: DeliveryFailureCause


class Usage(_Strict):
    consumed_fraction: Amount = Decimal(0)

    @field_validator("consumed_fraction")
    @classmethod
    def _fraction(cls, value: Decimal) -> Decimal:
        if not 0 <= value <= 1:
            raise ValueError("consumed_fraction must be between 0 and 1")
        return value


class PlanChange(_Strict):
    effective_at: Instant
    from_price: Amount
    to_price: Amount


class Project(_Strict):
    work_started: bool = False
    work_presented: bool = False
    unanswered_contact_attempts: int = Field(default=0, ge=0)
    changes_completed: bool = False
    delivered: bool = False


class Request(_Strict):
    """One refund request: the facts a decision is made from."""

    policy: str
    requested_at: Instant
    reason: Reason
    decided_at: Instant | None = None
    charge: Charge | None = None
    account: Account = Account()
    incident: Incident | None = None
    failed_delivery: FailedDelivery | None = None
    usage: Usage = Usage()
    plan_change: PlanChange | None = None
    project: Project = Project()
    evidence: tuple[str, ...] = ()
    # None: not stated; requests come through written channels (ADR 0004, Conek 10.2).
    written: bool | None = None
    fx: dict[str, Amount] = Field(default_factory=dict)

    @field_validator("fx")
    @classmethod
    def _pairs(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for pair, rate in value.items():
            base, sep, quote = pair.partition("/")
            if not sep or base not in MINOR_UNITS or quote not in MINOR_UNITS:
                raise ValueError(f"fx pair {pair!r} must be BASE/QUOTE ISO codes, e.g. USD/ZAR")
            if rate <= 0:
                raise ValueError(f"fx rate for {pair} must be positive")
        return value
