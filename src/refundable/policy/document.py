"""The policy language: what a policy document (YAML) may say.

These models are the language's one definition: the loader validates documents with them, and
``refundable policy schema`` publishes them as JSON Schema so editors complete and check policy
files. A document is data a business can review; :mod:`refundable.policy.compile` turns it into
closures once, so deciding never re-reads it.

Conditions are written as mappings (every key must hold) and stay deliberately small: fact
comparisons, time windows, durations, and ``all``/``any``/``not``. Their full grammar is in
``docs/policy-language.md``; it is checked by :mod:`refundable.policy.conditions` with a
file:line for every problem, because a free-form mapping cannot be typed here.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from refundable.core import limits
from refundable.core.money import MINOR_UNITS
from refundable.policy.casesdoc import CasesDoc
from refundable.policy.facts import Amount, CurrencyCode
from refundable.policy.fieldtypes import PaymentMethodName


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# A condition mapping; its grammar is checked by refundable.policy.conditions and published
# for editors by refundable.policy.schema (the "Condition" definition).
Condition = Annotated[dict[str, Any], WithJsonSchema({"x-condition": True})]


class Outcome(StrEnum):
    approve = "approve"
    deny = "deny"
    review = "review"


class Remedy(StrEnum):
    refund = "refund"
    account_credit = "account_credit"
    message_credits = "message_credits"
    wallet_credit = "wallet_credit"
    service_extension = "service_extension"
    none = "none"


class DayCount(StrEnum):
    """How pro-rata time is measured over a charge's own period."""

    actual_seconds = "actual_seconds"  # elapsed seconds / seconds in the period
    actual_days = "actual_days"  # whole local calendar days / days in the period


def _clock_text(value: Any) -> Any:
    """A time of day is written "HH:MM" (YAML 1.2 reads 09:00 as text, ADR 0023); a number
    would be taken as seconds since midnight in UTC, and a time with an offset cannot be
    compared with the policy's local hours."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
        shown = limits.echo(value if isinstance(value, str) else str(value))
        raise ValueError(f'{shown} is not a time of day; allowed: "HH:MM" such as "09:00"')
    return value


Clock = Annotated[time, BeforeValidator(_clock_text)]
_Day = date  # HolidayDoc's field is named `date`


class BusinessHoursDoc(_Doc):
    opens: Clock = Field(description='Opening time, local, written "HH:MM" in quotes')
    closes: Clock = Field(description='Closing time, local, written "HH:MM" in quotes; after opens')


class HolidayDoc(_Doc):
    date: _Day = Field(description="The day the business is closed, YYYY-MM-DD")
    name: str = Field(description="What the day is (shown in deadlines' explanations)")


class CalendarDoc(_Doc):
    country: str | None = Field(None, description="ISO-3166 code whose public holidays apply")
    subdivision: str | None = Field(
        None, description="Province or state code for regional holidays (holidays package)"
    )
    business_hours: BusinessHoursDoc = Field(
        description="When the business works; receipts after hours count from the next opening"
    )
    extra_holidays: list[HolidayDoc] = Field(
        [], description="Days the business is closed besides public holidays"
    )


class Settings(_Doc):
    rounding: Literal["half_up", "half_even", "half_down", "down", "up", "floor", "ceiling"] = (
        Field("half_up", description="Rounding mode applied once, at the end of a computation")
    )
    day_count: DayCount = Field(
        DayCount.actual_seconds,
        description="How pro-rata time is measured: actual_seconds or actual_days",
    )
    refund_currency: CurrencyCode | None = Field(
        None, description="Currency every amount is paid in; others are converted via fx"
    )


class Param(_Doc):
    param: str = Field(description="Name of an entry under parameters: whose value is used here")


Number = int | Decimal | Param

# The largest length of time a window or promise may name, per unit (a limit on everything).
SPAN_BOUNDS: dict[str, int] = {
    "days": limits.MAX_CALENDAR_DAYS,
    "hours": limits.MAX_HOURS,
    "business_days": limits.MAX_BUSINESS_DAYS,
}


class Parameter(_Doc):
    value: int | Decimal = Field(
        description="The number chosen: a percentage (0-100) or a length of time"
    )
    clause: str = Field(description="Clause whose open value this is")
    reading: str = Field(description="Why this value: the text does not state it")

    @field_validator("value")
    @classmethod
    def _bounded(cls, value: int | Decimal) -> int | Decimal:
        # Parameters stand for percentages and lengths of time: never negative, never past
        # the largest length a policy may name; where one is used its own bound applies too.
        if not 0 <= value <= limits.MAX_HOURS:
            raise ValueError(
                f"a parameter is a percentage or a length of time, not {limits.echo(value)}; "
                f"allowed: 0 to {limits.MAX_HOURS:,}"
            )
        return value


class Span(_Doc):
    """A length of time: exactly one of days, hours, business_days."""

    days: Number | None = Field(
        None, description="Calendar days in the policy's timezone (a number or {param: name})"
    )
    hours: Number | None = Field(None, description="Elapsed hours (a number or {param: name})")
    business_days: Number | None = Field(
        None, description="Business days by the policy's calendar (a number or {param: name})"
    )

    @model_validator(mode="after")
    def _one(self) -> Span:
        given = [k for k in ("days", "hours", "business_days") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a length of time needs one unit; allowed: one of days, hours, business_days"
            )
        unit = given[0]
        value, bound = getattr(self, unit), SPAN_BOUNDS[unit]
        if isinstance(value, Param):
            return self  # checked where the parameter is known (checks.py)
        if not 0 <= value <= bound or (unit != "hours" and value != int(value)):
            raise ValueError(
                f"{unit} {limits.echo(value)} is out of bounds; "
                f"allowed: a whole number from 0 to {bound:,}"
            )
        return self


class Promise(Span):
    clause: str = Field(description="Clause that makes this promise")


class RequestWindow(Span):
    of: str = Field(description="The instant the window runs from, e.g. charge.charged_at")
    clause: str = Field(description="Clause that sets the window")
    covers: list[str] = Field(description="Ids of the rules this window applies to")


class RequiredItem(_Doc):
    item: str = Field(description="What the customer must give with a request, in plain words")
    clause: str = Field(description="Clause that requires it")


class Appeal(_Doc):
    allowed: StrictBool = Field(
        description="true if a decision can be appealed, false if it is final"
    )
    clause: str = Field(description="Clause about appeals")
    stages: list[str] = Field([], description="The appeal steps, in order")


class Process(_Doc):
    request_window: RequestWindow | None = Field(
        None, description="How long after an instant a request may be made, for the rules it covers"
    )
    required_information: list[RequiredItem] = Field(
        [], description="What every request must include"
    )
    review: Promise | None = Field(
        None, description="How long the business takes to decide (decision.deadlines.decide_by)"
    )
    payout: Promise | None = Field(
        None, description="How long an approved refund takes to pay (decision.deadlines.pay_by)"
    )
    payout_by_method: dict[PaymentMethodName, Promise] = Field(
        {}, description="Payout promises per payment method (charge.payment_method)"
    )
    appeal: Appeal | None = Field(None, description="Whether and how a decision can be appealed")


class Minimum(_Doc):
    amount: Amount = Field(
        description='A decimal string such as "100.00", at most the currency\'s decimals'
    )
    currency: CurrencyCode = Field(
        description="ISO-4217 code; another currency than the charge's is converted with fx"
    )

    @model_validator(mode="after")
    def _bounded(self) -> Minimum:
        if not 0 <= self.amount < limits.MAX_AMOUNT:
            raise ValueError(
                f"amount {limits.echo(str(self.amount))[1:-1]} is out of bounds (a fee or amount "
                f"is never negative); allowed: 0 up to {limits.MAX_AMOUNT:,}"
            )
        digits = MINOR_UNITS.get(self.currency, 2)
        if self.amount != self.amount.quantize(Decimal(1).scaleb(-digits)):
            raise ValueError(
                f"amount {self.amount} has more than {digits} decimals; allowed: {digits} decimals"
            )
        return self


class Fee(_Doc):
    clause: str = Field(description="Clause that sets the fee")
    description: str = Field(description="What the fee is for, as the customer sees it")
    percent: Number | None = Field(
        None, description="Percentage of the refund kept (0-100, or {param: name})"
    )
    fixed: Minimum | None = Field(None, description="A fixed fee instead of a percentage")
    minimum: Minimum | None = Field(
        None, description="The least the fee is, when the percentage comes to less"
    )
    no_refund_if_exceeds: StrictBool = Field(
        True, description="No refund at all when fees would take the whole amount"
    )

    @model_validator(mode="after")
    def _some(self) -> Fee:
        if self.percent is None and self.fixed is None:
            raise ValueError("a fee needs an amount; allowed: percent, fixed, or both")
        return self


class HigherOf(_Doc):
    higher_of: list[str] = Field(
        min_length=2, description="Two or more fee ids: the higher one is charged, never both"
    )

    @field_validator("higher_of")
    @classmethod
    def _distinct(cls, fees: list[str]) -> list[str]:
        twice = sorted({f for f in fees if fees.count(f) > 1})
        if twice:
            raise ValueError(
                f"higher_of names fee {', '.join(twice)} twice; allowed: two different fee ids"
            )
        return fees


FeeRef = str | HigherOf


class Formula(StrEnum):
    none = "none"
    full = "full"
    difference = "difference"
    pro_rata_unused = "pro_rata_unused"
    pro_rata_elapsed = "pro_rata_elapsed"
    pro_rata_plan_difference = "pro_rata_plan_difference"
    percent_kept = "percent_kept"
    unused_share = "unused_share"
    wallet_excess = "wallet_excess"
    failed_value = "failed_value"
    fixed = "fixed"


class AmountDoc(_Doc):
    formula: Formula = Field(description="How the gross refund is computed (see Formula)")
    as_of: str = Field(
        "requested_at", description="pro_rata_unused: the instant the unused time counts from"
    )
    start: str | None = Field(
        None, alias="from", description="pro_rata_elapsed: the instant the counted time starts"
    )
    end: str | None = Field(
        None, alias="to", description="pro_rata_elapsed: the instant the counted time ends"
    )
    percent: Number | None = Field(
        None, description="percent_kept: the percentage the business keeps (0-100 or {param: name})"
    )
    fixed: Minimum | None = Field(None, description="fixed: the amount refunded")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class UnitsDoc(_Doc):
    fact: str = Field(
        description="A whole-number fact giving the units (e.g. failed_delivery.units)"
    )


class Then(_Doc):
    outcome: Outcome = Field(description="approve, deny or review")
    remedy: Remedy = Field(Remedy.none, description="What the customer gets when approved")
    amount: AmountDoc | None = Field(
        None, description="The gross amount (required when approving a refund or credit of money)"
    )
    units: UnitsDoc | None = Field(
        None, description="Message credits given back (required when approving message_credits)"
    )
    fees: list[FeeRef] = Field(
        [], description="Fee ids taken from the refund, or {higher_of: [a, b]}"
    )
    factors: list[str] = Field([], description="What the business weighs (review outcomes)")
    alternatives: list[Remedy] = Field([], description="Other remedies the clause allows")
    notes: list[str] = Field([], description="Notes for the agent handling the case")
    payout: Promise | None = Field(None, description="Overrides process.payout for this rule")
    explanation: str | None = Field(None, description="Extra sentence for the customer")


class Requirement(_Doc):
    condition: Condition = Field(description="What must hold for the customer to be entitled")
    clause: str | None = Field(
        None, description="Clause that sets the requirement (default: the rule's)"
    )
    explain: str | None = Field(None, description="What the customer is told when it fails")


class Need(_Doc):
    """A fact a rule cannot decide without: when the request lacks it, the rule asks for it
    (a review naming the fact) instead of treating it as false."""

    fact: str = Field(description="A fact path (e.g. charge.initial_purchase), or fx")
    ask: str = Field(description="What the customer is asked for, in plain words")


class Rule(_Doc):
    id: str = Field(description="Unique id of the rule (lower case, hyphens)")
    clause: str = Field(description="Clause the rule enforces")
    also_cites: list[str] = Field([], description="Other clauses the decision cites")
    description: str = Field(description="What the rule does, in one sentence")
    when: Condition = Field(
        description="The situation the rule addresses: every key must hold; first match decides"
    )
    requires: list[Requirement] = Field(
        [], description="Entitlement conditions: when one fails the request is denied, citing it"
    )
    needs: list[Need] = Field(
        [], description="Facts the rule asks for when missing (review: information needed)"
    )
    then: Then = Field(description="The decision when the rule applies")
    reading: str | None = Field(None, description="How an ambiguous clause was read for this rule")


class ClauseDoc(_Doc):
    id: str = Field(description='Clause number as the source writes it, in quotes (e.g. "4.1")')
    title: str = Field(description="Short title of the clause, in our own words")
    informational: str | None = Field(
        None, description="Why this clause needs no rule (contact details, lifecycle, ...)"
    )
    implemented_by: list[str] = Field(
        [], description="Other mechanisms enforcing it (e.g. ledger transfer rules)"
    )


class Reading(_Doc):
    clause: str = Field(description="Clause that is ambiguous")
    issue: str = Field(description="What the text leaves open")
    chosen: str = Field(description="The reading chosen and why")


class TransferKind(StrEnum):
    reseller_to_client = "reseller_to_client"
    between_affiliates = "between_affiliates"
    approved_nonprofit_on_termination = "approved_nonprofit_on_termination"


class Wallet(_Doc):
    transfers_allowed: list[TransferKind] = Field(
        [], description="Which wallet transfers the ledger allows"
    )
    clause: str = Field(description="Clause about wallet transfers")


class Credits(_Doc):
    valid_days: int | None = Field(
        None,
        ge=1,
        le=limits.MAX_CALENDAR_DAYS,
        description="Days message credits stay valid after purchase",
    )
    clause: str = Field(description="Clause about credit validity")
    reinstate_on_failure: list[str] = Field(
        [], description="Failure causes for which used credits are given back"
    )


class Default(_Doc):
    clause: str = Field(description="Clause applied when no rule matches")
    outcome: Outcome = Field(
        Outcome.deny, description="Outcome when no rule matches (usually deny)"
    )
    remedy: Remedy = Field(Remedy.none, description="Remedy when no rule matches")
    explanation: str = Field(description="What the customer is told when no rule matches")


# --- lifecycle: subscriptions run by the policy (issue 9, ADR 0038/0039) ---------
_LifecycleDays = Annotated[int, Field(ge=0, le=limits.MAX_LIFECYCLE_DAYS)]


class LifecycleItem(_Doc):
    clause: str = Field(description="The clause of the source this lifecycle rule runs")
    also_cites: list[str] = Field([], description="Other clauses the same rule runs")


class UpgradeDoc(LifecycleItem):
    prorate_difference: StrictBool = Field(
        True, description="Charge the price difference pro rata for the rest of the cycle"
    )


class DowngradeModeDoc(StrEnum):
    end_of_cycle_no_refund = "end_of_cycle_no_refund"
    pro_rata_credit_next_cycle = "pro_rata_credit_next_cycle"


class DowngradeDoc(LifecycleItem):
    mode: DowngradeModeDoc = Field(description="End of cycle without refund, or credit now")
    credits_transfer: StrictBool = Field(False, description="Plan credits survive the change")


class CancellationDoc(LifecycleItem):
    annual_notice_days: _LifecycleDays | None = Field(
        None, description="Written notice before an annual renewal; later notice defers a cycle"
    )
    notice_clause: str | None = Field(None, description="Clause that sets the renewal notice")
    early_termination_charge: Decimal | None = Field(
        None, ge=0, lt=limits.MAX_AMOUNT, description="Named charge for immediate cancellation"
    )
    immediate_clause: str | None = Field(
        None, description="Clause that sets the early-termination charge"
    )
    cooling_off_days: _LifecycleDays | None = Field(
        None, description="Days after sign-up in which cancelling is free"
    )
    cooling_off_clause: str | None = Field(
        None, description="Clause that grants the cooling-off period"
    )
    fees_due_clause: str | None = Field(
        None, description="Clause keeping fees billed before the cancellation payable"
    )


class TrialDoc(LifecycleItem):
    credits_clause: str = Field(description="Clause saying trial credits do not roll over")
    card_required: StrictBool = Field(
        False, description="A payment card is needed to start the trial"
    )
    charge_at_end: StrictBool = Field(False, description="The card is charged when the trial ends")
    credits_roll_into_paid: StrictBool = Field(
        False, description="Trial credits carry into the paid plan"
    )


class SuspensionDoc(LifecycleItem):
    grace_days: _LifecycleDays = Field(description="Access kept after the first failed payment")
    dunning_notice_days: list[_LifecycleDays] = Field(
        [0], max_length=limits.MAX_DUNNING_STEPS, description="Days after the failure to notify"
    )
    exempt_features: list[str] = Field([], description="Never gated by billing status")
    exempt_clause: str | None = Field(
        None, description="Clause that exempts the features from suspension"
    )


class TerminationDoc(LifecycleItem):
    credits_forfeited: StrictBool = Field(
        True, description="Unused credits are lost on termination"
    )
    access_ends_now: StrictBool = Field(
        True, description="Access ends at termination, not at the end of the cycle"
    )


class ReactivationModeDoc(StrEnum):
    new_subscription = "new_subscription"
    within_retention = "within_retention"


class ReactivationDoc(LifecycleItem):
    mode: ReactivationModeDoc = Field(description="How a returning customer is billed")
    credits_carried_over: StrictBool = Field(
        False, description="Unused credits come back with the account"
    )


class RetentionDoc(_Doc):
    days: _LifecycleDays = Field(description="Days personal data is kept after the trigger")
    clause: str = Field(description="Clause that sets the retention period")


class RetentionsDoc(_Doc):
    after_suspension: RetentionDoc = Field(description="Data kept after a suspension")
    after_cancellation: RetentionDoc = Field(description="Data kept after a cancellation")
    after_termination: RetentionDoc = Field(description="Data kept after a termination")


class EntitlementsDoc(LifecycleItem):
    features_by_plan: StrictBool = Field(
        True, description="A feature is usable only on plans that list it"
    )
    seat_limits: StrictBool = Field(
        True, description="A plan's maximum of active user seats is enforced"
    )


class UsageDoc(LifecycleItem):
    dispute_clause: str | None = Field(
        None, description="Clause under which a usage charge is disputed (decided by the rules)"
    )


class PrepaidDoc(StrEnum):
    """What a customer gets for prepaid time a discontinuation takes away."""

    refund_pro_rata = "refund_pro_rata"  # money back for the unused part (MyProtektor 10.2)
    credit_pro_rata = "credit_pro_rata"  # account credit for the unused part
    none = "none"


class DiscontinuationDoc(LifecycleItem):
    """Ending a plan or the whole service: the notice owed and what prepaid time returns."""

    notice_days: _LifecycleDays = Field(
        description="Minimum days between telling subscribers and the end of the service"
    )
    reminder_days: list[_LifecycleDays] = Field(
        [], max_length=limits.MAX_DUNNING_STEPS,
        description="Days before the end on which subscribers are reminded",
    )  # fmt: skip
    prepaid: PrepaidDoc = Field(description="What the unused prepaid period returns")


class StackingDoc(StrEnum):
    never = "never"
    when_offer_states = "when_offer_states"  # only offers whose terms say they combine
    always = "always"


class PromotionsDoc(LifecycleItem):
    """Promotional discounts and credits: whether offers combine, what lapses and when."""

    credits_clause: str | None = Field(
        None, description="Clause for promotional credits (no cash value, lapse with the offer)"
    )
    stacking: StackingDoc = Field(
        StackingDoc.never, description="Whether a second offer may apply while one runs"
    )
    credits_roll_into_paid: StrictBool = Field(
        False, description="Promotional credits survive a change of plan or a conversion"
    )


class LifecycleDoc(_Doc):
    """The subscription lifecycle the policy runs (refundable.billing); every item cites."""

    billing: LifecycleItem = Field(description="Plan price charged per cycle in advance")
    upgrade: UpgradeDoc = Field(description="What a move to a dearer plan costs")
    downgrade: DowngradeDoc = Field(
        description="When a move to a cheaper plan takes effect and what it returns"
    )
    cancellation: CancellationDoc = Field(
        description="Notice, early-termination charge and cooling-off"
    )
    trial: TrialDoc | None = Field(None, description="How a free trial starts, ends and converts")
    suspension: SuspensionDoc = Field(description="Grace period and notices after a failed payment")
    termination: TerminationDoc | None = Field(
        None, description="What ends when the account is terminated"
    )
    reactivation: ReactivationDoc = Field(
        description="How a suspended or cancelled account comes back"
    )
    entitlements: EntitlementsDoc | None = Field(
        None, description="What each plan unlocks: its features and its seats"
    )
    usage: UsageDoc | None = Field(
        None, description="Overage beyond plan allowances, charged at published unit rates"
    )
    retention: RetentionsDoc | None = Field(
        None,
        description="How long personal data is kept after each ending; omitted when the "
        "policy states no period (nothing is purged automatically)",
    )
    discontinuation: DiscontinuationDoc | None = Field(
        None, description="Notice and treatment of prepaid time when a plan or the service ends"
    )
    promotions: PromotionsDoc | None = Field(
        None, description="Promotional discounts and credits: combining, lapsing, refunds"
    )

    def citations(self) -> list[tuple[str, tuple[object, ...]]]:
        """Every clause the section cites, with its place in the document (for file:line)."""
        out: list[tuple[str, tuple[object, ...]]] = []
        for name in (
            "billing",
            "upgrade",
            "downgrade",
            "cancellation",
            "trial",
            "suspension",
            "termination",
            "reactivation",
            "entitlements",
            "usage",
            "discontinuation",
            "promotions",
        ):
            item: LifecycleItem | None = getattr(self, name)
            if item is None:
                continue
            out.append((item.clause, ("lifecycle", name, "clause")))
            out += [
                (c, ("lifecycle", name, "also_cites", i)) for i, c in enumerate(item.also_cites)
            ]
            for extra in (
                "credits_clause",
                "notice_clause",
                "immediate_clause",
                "cooling_off_clause",
                "exempt_clause",
                "fees_due_clause",
                "dispute_clause",
            ):
                value = getattr(item, extra, None)
                if value is not None:
                    out.append((value, ("lifecycle", name, extra)))
        if self.retention is not None:
            for name in ("after_suspension", "after_cancellation", "after_termination"):
                period = getattr(self.retention, name)
                out.append((period.clause, ("lifecycle", "retention", name, "clause")))
        return out


# --- end lifecycle --------------------------------------------------------------


# --- changes: how a new version of the policy reaches customers (ADR 0050) --------
class NotifyDoc(StrEnum):
    """Which changes customers must be told of."""

    all = "all"  # every revision (MyProtektor 11)
    material = "material"  # material changes only (Conek 13)
    none = "none"  # posting the new version is enough (Kero, Kelbix)


class ChannelDoc(StrEnum):
    email = "email"
    website = "website"
    in_app = "in_app"


class ChangesDoc(_Doc):
    """What the policy promises before one of its versions is replaced by another."""

    clause: str = Field(description="The clause about changes to the policy")
    notice_days: _LifecycleDays = Field(
        0, description="Days between telling customers and a material change taking effect"
    )
    notify: NotifyDoc = Field(
        NotifyDoc.material, description="Which changes customers are told of: all, material, none"
    )
    channels: list[ChannelDoc] = Field(
        [], description="How customers are told (email, website, in_app)"
    )


class PolicyDocument(_Doc):
    """One version of one business's policy."""

    policy: str = Field(
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="Policy id: lower case letters, digits, - and _; used by requests and the CLI",
    )
    name: str = Field(description="The business's name")
    version: str = Field(description='Version label, in quotes (e.g. "2025-10-25" or "1.10")')
    effective_from: date = Field(
        description="First day this version is in force (00:00, policy timezone), YYYY-MM-DD"
    )
    source: str = Field(description="The source document this file encodes (title and date)")
    timezone: str = Field(description="IANA timezone of the business, e.g. Africa/Johannesburg")
    currency: CurrencyCode = Field(description="ISO-4217 code of the policy's own currency")
    calendar: CalendarDoc = Field(
        description="Business days and hours: holidays by country, opening hours"
    )
    settings: Settings = Field(
        Settings(), description="Rounding, pro-rata day count, refund currency"
    )
    parameters: dict[str, Parameter] = Field(
        {}, description="Values the text leaves open, each with the reading chosen"
    )
    process: Process = Field(
        Process(),
        description="Request window, required information, review and payout promises, appeal",
    )
    fees: dict[str, Fee] = Field(
        {}, description="Fees by id, taken from refunds by rules that name them"
    )
    wallet: Wallet | None = Field(None, description="Wallet transfer rules (used by the ledger)")
    credits: Credits | None = Field(
        None, description="Message-credit validity and reinstatement (used by the ledger)"
    )
    lifecycle: LifecycleDoc | None = Field(  # subscriptions (refundable.billing)
        None, description="Subscription lifecycle: upgrades, downgrades, cancellation, trials"
    )
    cases: CasesDoc | None = Field(  # refund cases (refundable.cases)
        None, description="Refund cases: required information, stage deadlines, settlement"
    )
    changes: ChangesDoc | None = Field(  # policy changes with notice (ADR 0050)
        None, description="Notice customers get before a new version of the policy applies"
    )
    clauses: list[ClauseDoc] = Field(
        description="Every clause of the source, in order: cited by something or informational"
    )
    readings: list[Reading] = Field(
        [], description="Readings of ambiguous clauses, with the reason"
    )
    rules: list[Rule] = Field(description="Rules in order; the first whose when holds decides")
    default: Default = Field(description="What happens when no rule matches")
