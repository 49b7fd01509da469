"""The request vocabulary: what a refund request says, as a public contract.

Requests written outside the project (JSON or YAML) must run unchanged, so the field names
here are fixed by issue #2 and never renamed; fields may be added. Parsing is strict where
money and time are concerned: amounts are decimal strings (a float is refused, not rounded),
instants carry an offset (a naive datetime is refused), enumerations name their allowed values.
Unknown fields are refused too, so a typo ("reson") is an error rather than a silent default.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from refundable.core.errors import OutOfRange
from refundable.core.limits import MAX_FX_RATE, MAX_LIST_ITEMS, MIN_FX_RATE, echo
from refundable.core.money import MINOR_UNITS
from refundable.policy.fieldtypes import (
    Amount,
    Currency,
    CurrencyCode,
    DecimalText,
    FieldProblem,
    Flag,
    Identifier,
    Instant,
    LocalDay,
    PaymentMethodName,
    PolicyId,
    SmallCount,
    Text,
    Units,
    fits_currency,
)

__all__ = ["Amount", "CurrencyCode", "FieldProblem", "Request"]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=True, validate_default=True, defer_build=True
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


def _describe(text: str) -> Any:
    return Field(description=text)


class Period(_Strict):
    """The span of service a charge paid for (pro-rata refunds measure against it)."""

    start: Instant = _describe("First instant of the paid period.")
    end: Instant = _describe("End of the paid period (after start).")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise FieldProblem(
                "period.end must be after period.start", allowed="end > start", field="end"
            )
        return self


class Charge(_Strict):
    """The payment the request is about."""

    id: Identifier | None = Field(None, description="The business's id of the charge.")
    kind: ChargeKind = _describe("What was bought.")
    amount: DecimalText = _describe("What was paid, a decimal string in the charge's currency.")
    currency: Currency = _describe("ISO-4217 code of the charge.")
    charged_at: Instant = _describe("When the customer was charged (instant with offset).")
    billing: Billing | None = Field(
        None, description="How often the charge recurs; unknown when not given (ADR 0017)."
    )
    period: Period | None = Field(None, description="The service period the charge paid for.")
    # Unknown (None) unless stated: a rule that needs it asks (ADR 0017), never assumes no.
    initial_purchase: Flag | None = Field(
        None,
        description="True when this is the customer's first purchase of the service; "
        "unknown when not given.",
    )
    auto: Flag | None = Field(
        None, description="True when the charge was an automatic top-up; unknown when not given."
    )
    correct_amount: DecimalText | None = Field(
        None, description="What should have been charged (billing errors)."
    )
    invoice_date: LocalDay | None = Field(
        None,
        description="Date of the invoice: a plain date (read in the policy's timezone) or an "
        "instant with offset.",
    )
    payment_method: PaymentMethodName | None = Field(
        None, description="How it was paid (card, eft, debit_order, ...); picks the payout promise."
    )

    @field_validator("amount", "correct_amount")
    @classmethod
    def _not_negative(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value < 0:
            raise FieldProblem("must not be negative", allowed="0 or more")
        return value

    @model_validator(mode="after")
    def _cents(self) -> Charge:
        fits_currency(self.amount, self.currency, "amount")
        fits_currency(self.correct_amount, self.currency, "correct_amount")
        return self


class Account(_Strict):
    """The customer's account as it stands at the request."""

    currency: Currency | None = Field(None, description="Currency of the account or wallet.")
    status: AccountStatus = Field(AccountStatus.active, description="State of the account.")
    closure_cause: ClosureCause | None = Field(None, description="Why the account was closed.")
    signup_channel: SignupChannel | None = Field(
        None, description="How the customer signed up (direct marketing matters for cooling-off)."
    )
    is_business: Flag = Field(False, description="True when the customer is a business.")
    wallet_balance: DecimalText | None = Field(None, description="Pre-paid wallet balance.")
    amount_due: DecimalText | None = Field(None, description="What the customer still owes.")
    closed_at: Instant | None = Field(None, description="When the account was closed.")

    @model_validator(mode="after")
    def _cents(self) -> Account:
        fits_currency(self.wallet_balance, self.currency, "wallet_balance")
        fits_currency(self.amount_due, self.currency, "amount_due")
        return self


class Incident(_Strict):
    """A service incident the request relies on (outages, non-delivery)."""

    started_at: Instant = _describe("When the incident began.")
    resolved_at: Instant | None = Field(None, description="When it was resolved, if it was.")
    reported_at: Instant | None = Field(None, description="When the customer reported it.")
    cause: IncidentCause = _describe("Whose fault the incident was.")
    impact: Impact | None = Field(
        None, description="How badly the service was affected; unknown when not given (ADR 0017)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Incident:
        if self.resolved_at is not None and self.resolved_at < self.started_at:
            raise FieldProblem(
                "incident.resolved_at is before incident.started_at",
                allowed="resolved_at at or after started_at",
                field="resolved_at",
            )
        return self


class FailedDelivery(_Strict):
    """Messages that failed. Credit policies read ``units``, wallet policies ``value``: a
    request gives what its policy reads (checked when the policy is known)."""

    units: Units | None = Field(None, description="Number of failed messages (credit policies).")
    value: DecimalText | None = Field(
        None, description="Money value of the failed messages (wallet policies)."
    )
    cause: DeliveryFailureCause = _describe("Why the messages failed.")


class Usage(_Strict):
    """How much of what was paid for has been used."""

    consumed_fraction: DecimalText = Field(
        Decimal(0), description='Share of the service used, from "0" to "1".'
    )

    @field_validator("consumed_fraction")
    @classmethod
    def _fraction(cls, value: Decimal) -> Decimal:
        if not 0 <= value <= 1:
            raise FieldProblem(
                "consumed_fraction must be between 0 and 1", allowed='"0" to "1"', error=OutOfRange
            )
        return value


class PlanChange(_Strict):
    """A move to a cheaper plan (downgrade credits)."""

    effective_at: Instant = _describe("When the new plan takes effect.")
    from_price: DecimalText = _describe("Price of the old plan per period.")
    to_price: DecimalText = _describe("Price of the new plan per period.")


class Project(_Strict):
    """Progress of project work (development agencies)."""

    work_started: Flag = Field(False, description="True once work on the project has begun.")
    work_presented: Flag = Field(False, description="True once work was shown to the customer.")
    unanswered_contact_attempts: SmallCount = Field(
        0, description="Times the business tried to reach the customer without an answer."
    )
    changes_completed: Flag = Field(False, description="True once requested changes are done.")
    delivered: Flag = Field(False, description="True once the work was delivered.")


class Request(_Strict):
    """One refund request: the facts a decision is made from."""

    policy: PolicyId = _describe("Id of the policy that governs the request (e.g. conek).")
    requested_at: Instant = _describe("When the customer asked (instant with offset).")
    reason: Reason = _describe("Why the customer asks.")
    decided_at: Instant | None = Field(
        None, description="When the business decided (not before requested_at); default: now."
    )
    charge: Charge | None = Field(None, description="The payment the request is about.")
    account: Account = Field(Account(), description="The customer's account.")
    incident: Incident | None = Field(None, description="The incident relied on, if any.")
    failed_delivery: FailedDelivery | None = Field(None, description="Failed messages, if any.")
    usage: Usage = Field(Usage(), description="How much of the service was used.")
    plan_change: PlanChange | None = Field(None, description="A plan downgrade, if any.")
    project: Project = Field(Project(), description="Project progress (project work).")
    evidence: tuple[Text, ...] = Field(
        (),
        max_length=MAX_LIST_ITEMS,
        description="Kinds of evidence supplied (e.g. documentation).",
    )
    # None: not stated; requests come through written channels (ADR 0004, Conek 10.2).
    written: Flag | None = Field(
        None,
        description="Whether the request was made in writing; unknown when not given "
        "(requests arrive through written channels).",
    )
    fx: dict[str, DecimalText] = Field(
        default_factory=dict,
        max_length=MAX_LIST_ITEMS,
        description='Exchange rates supplied with the request, e.g. {"USD/ZAR": "18.50"}.',
    )

    @field_validator("fx")
    @classmethod
    def _pairs(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for pair, rate in value.items():
            base, sep, quote = pair.partition("/")
            if not sep or base not in MINOR_UNITS or quote not in MINOR_UNITS:
                raise FieldProblem(
                    f"fx pair {echo(pair)} must be BASE/QUOTE ISO codes, e.g. USD/ZAR",
                    allowed="BASE/QUOTE, e.g. USD/ZAR",
                )
            if rate <= 0:
                raise FieldProblem(
                    f"fx rate for {pair} must be positive",
                    allowed=f"{MIN_FX_RATE:f} to {MAX_FX_RATE:,}",
                )
            if not MIN_FX_RATE <= rate <= MAX_FX_RATE:
                raise FieldProblem(
                    f"fx rate {rate} for {pair} is out of range",
                    allowed=f"{MIN_FX_RATE:f} to {MAX_FX_RATE:,}",
                    error=OutOfRange,
                    field=pair,
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Request:
        if self.decided_at is not None and self.decided_at < self.requested_at:
            raise FieldProblem(
                "decided_at is before requested_at",
                allowed="a decision at or after the request",
                field="decided_at",
            )
        currency = self.charge.currency if self.charge else self.account.currency
        if self.failed_delivery is not None:
            fits_currency(self.failed_delivery.value, currency, "failed_delivery.value")
        if self.plan_change is not None and self.charge is not None:
            fits_currency(self.plan_change.from_price, currency, "plan_change.from_price")
            fits_currency(self.plan_change.to_price, currency, "plan_change.to_price")
        return self
