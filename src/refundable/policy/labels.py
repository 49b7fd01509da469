"""Plain words for the request vocabulary: what an agent says instead of a field path.

A decision is read aloud to a customer, so ``charge.charged_at`` must become "the charge" and
``direct_marketing`` "direct marketing". Every fact a policy may test gets one row here (a
test checks that every fact the shipped policies use has one), so a new fact or value is one
line to add. The same module formats what people see: local dates, local deadlines at the
business's close, durations, money and percentages, never Python values or ISO timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from refundable.core.money import MINOR_UNITS, Money
from refundable.policy.document import Appeal


class Unit(StrEnum):
    """How a fact's value is shown."""

    text = "text"
    money = "money"  # an amount in the currency named by ``currency_of``
    percent = "percent"  # a fraction 0..1 shown as a percentage
    hours = "hours"
    number = "number"
    instant = "instant"
    flag = "flag"  # true/false, said with ``yes`` / ``no``


@dataclass(frozen=True, slots=True)
class Label:
    """How one fact reads: ``noun`` names it ("the sign-up channel"); a statement about its
    value reads ``subject be value`` ("the sign-up came through direct marketing"). A flag
    says ``yes`` or ``no``; an instant is dated with ``prep`` ("the charge of 1 March 2026")."""

    noun: str
    unit: Unit = Unit.text
    subject: str | None = None
    be: tuple[str, str] = ("is", "was")
    negate: tuple[str, str] = ("is not", "was not")
    yes: str = ""
    no: str = ""
    prep: str = "of"
    currency_of: str | None = None  # path of the currency of a money fact
    none: str = ""  # what is said when the request gives no value (default: "<noun> was not given")

    def said(self, value: str, past: bool = False, positive: bool = True) -> str:
        verb = (self.be if positive else self.negate)[1 if past else 0]
        return f"{self.subject or self.noun} {verb} {value}"


def _flag(yes: str, no: str) -> Label:
    return Label(yes, Unit.flag, yes=yes, no=no)


def _money(noun: str, currency_of: str = "charge.currency") -> Label:
    return Label(noun, Unit.money, currency_of=currency_of)


def _instant(noun: str, prep: str = "of") -> Label:
    return Label(noun, Unit.instant, prep=prep)


FACT_LABELS: dict[str, Label] = {
    "policy": Label("the policy"),
    "requested_at": _instant("your request", "on"),
    "decided_at": _instant("the decision", "on"),
    "reason": Label("the reason for the request"),
    "charge.id": Label("the charge reference"),
    "charge.kind": Label(
        "what the charge paid for", subject="the charge", be=("is for", "was for")
    ),
    "charge.amount": _money("the amount charged"),
    "charge.currency": Label("the currency of the charge"),
    "charge.charged_at": _instant("the charge"),
    "charge.billing": Label("how the charge is billed", subject="the charge"),
    "charge.period.start": _instant("the start of the paid period", "on"),
    "charge.period.end": _instant("the end of the paid period", "on"),
    "charge.initial_purchase": _flag(
        "the charge was the first purchase", "the charge was not the first purchase"
    ),
    "charge.auto": _flag(
        "the top-up was triggered automatically", "the top-up was not triggered automatically"
    ),
    "charge.correct_amount": _money("the amount that should have been charged"),
    "charge.invoice_date": _instant("the invoice", "dated"),
    "charge.payment_method": Label("the payment method"),
    "charge.overcharge": _money("the overcharge"),
    "account.currency": Label("the currency of the account"),
    "account.status": Label("the state of the account", subject="the account"),
    "account.closure_cause": Label("the reason the account was closed"),
    "account.signup_channel": Label(
        "the sign-up channel",
        subject="the sign-up",
        be=("came through", "came through"),
        negate=("did not come through", "did not come through"),
    ),
    "account.is_business": _flag("the customer is a business", "the customer is not a business"),
    "account.wallet_balance": _money("the wallet balance", "account.currency"),
    "account.amount_due": _money("the amount owed on the account", "account.currency"),
    "account.closed_at": _instant("the closure of the account", "on"),
    "incident.started_at": _instant("the start of the incident", "on"),
    "incident.resolved_at": _instant("the resolution of the incident", "on"),
    "incident.reported_at": _instant("the report of the incident", "on"),
    "incident.ended_at": _instant("the end of the incident", "on"),
    "incident.hours": Label("the length of the incident", Unit.hours),
    "incident.cause": Label("the cause of the incident"),
    "incident.impact": Label("the impact of the incident"),
    "failed_delivery.units": Label("the number of failed messages", Unit.number),
    "failed_delivery.value": _money("the value of the failed messages", "account.currency"),
    "failed_delivery.cause": Label("the cause of the failed messages"),
    "usage.consumed_fraction": Label("the share of the service already used", Unit.percent),
    "plan_change.effective_at": _instant("the plan change"),
    "plan_change.from_price": _money("the old plan's price"),
    "plan_change.to_price": _money("the new plan's price"),
    "project.work_started": _flag("work had started", "work had not started"),
    "project.work_presented": _flag(
        "work had been presented to the customer", "no work had been presented to the customer"
    ),
    "project.unanswered_contact_attempts": Label(
        "the number of our contact attempts left unanswered", Unit.number
    ),
    "project.changes_completed": _flag(
        "the requested changes were completed", "the requested changes were not completed"
    ),
    "project.delivered": _flag("the work was delivered", "the work was not delivered"),
    "evidence": Label(
        "the evidence supplied",
        subject="the evidence",
        be=("includes", "included"),
        negate=("does not include", "did not include"),
        none="no evidence was supplied",
    ),
    "written": _flag("the request was made in writing", "the request was not made in writing"),
}

# Values of enumerated facts, by fact path. A value missing here reads with its underscores
# turned into spaces; the shipped policies' values all have a row (tested).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "reason": {
        "accidental_activation": "a feature switched on by accident",
        "account_closure": "closing the account",
        "billing_error": "a billing error",
        "business_closure": "the business winding down",
        "cancellation": "a cancellation",
        "change_of_mind": "a change of mind",
        "compromised_account": "a compromised account",
        "cooling_off": "a cooling-off cancellation",
        "downgrade": "a downgrade",
        "duplicate_charge": "a duplicate charge",
        "failed_delivery": "messages that failed",
        "project_cancellation": "cancelling a project",
        "service_non_delivery": "a service that was not delivered",
        "service_outage": "a service outage",
        "system_error": "a system error",
        "technical_issue": "a technical issue",
        "unauthorized_charge": "an unauthorised charge",
        "unintended_auto_topup": "an automatic top-up that was not intended",
        "wrongful_termination": "an account closed wrongly",
    },
    "charge.kind": {
        "addon": "an add-on service",
        "custom_development": "custom development",
        "enhancement": "an enhancement",
        "expedited": "expedited work",
        "hosting": "hosting",
        "message_credits": "message credits",
        "project": "a project",
        "setup_fee": "a setup fee",
        "subscription": "a subscription",
        "training": "training",
        "usage": "usage",
        "wallet_topup": "a wallet top-up",
    },
    "charge.billing": {"annual": "billed yearly", "monthly": "billed monthly", "once": "one-off"},
    "account.status": {
        "active": "active",
        "cancelled": "cancelled",
        "closed": "closed",
        "suspended": "suspended",
        "terminated": "terminated",
    },
    "account.closure_cause": {
        "non_payment": "non-payment",
        "policy_violation": "a breach of the terms",
        "provider_error": "a mistake of ours",
        "voluntary": "the customer's own choice",
    },
    "account.signup_channel": {
        "direct_marketing": "direct marketing",
        "reseller": "a reseller",
        "sales": "our sales team",
        "self_service": "self-service",
    },
    "incident.cause": {
        "force_majeure": "events beyond anyone's control (force majeure)",
        "internal": "a fault on our side",
        "third_party": "a third-party service",
        "user_error": "a mistake on the customer's side",
    },
    "incident.impact": {
        "degraded": "a degraded service",
        "wholly_unavailable": "the service being wholly unavailable",
    },
    "failed_delivery.cause": {
        "blocked": "a blocked number",
        "customer_error": "a mistake on the customer's side",
        "device": "the recipient's device",
        "invalid_recipient": "an invalid recipient",
        "platform": "our platform",
        "provider_api": "the messaging provider's API",
    },
    "evidence": {
        "documentation": "supporting documentation",
        "proof_of_error": "proof of the error",
    },
}

# Stages of an appeal (process.appeal.stages) in plain words.
APPEAL_STAGES: dict[str, str] = {
    "internal_review": "an internal review",
    "escalation": "escalation to senior management",
    "mediation": "mediation",
    "courts": "the courts",
}


def appeal_text(appeal: Appeal | None) -> str | None:
    """Whether the customer can appeal, how, and under which clause, in plain words."""
    if appeal is None:
        return None
    if not appeal.allowed:
        return f"No appeal: the decision is final (clause {appeal.clause})"
    stages = [APPEAL_STAGES.get(s) or s.replace("_", " ") for s in appeal.stages]
    route = f", through {words(stages)}" if stages else ""
    return f"Appeal possible{route} (clause {appeal.clause})"


def label(path: str) -> Label:
    """The label of a fact; an unknown path (a fact added without a row) still reads as words."""
    found = FACT_LABELS.get(path)
    if found is not None:
        return found
    if path.startswith("fx:"):
        return Label(f"the {path[3:]} exchange rate")
    return Label("the " + path.rsplit(".", 1)[-1].replace("_", " "))


# Questions that read better than the fact's name turned into one.
_QUESTIONS = {
    "incident.started_at": "when the incident started",
    "incident.ended_at": "when the incident ended, if it has",
    "incident.hours": "how long the incident lasted",
}


def question(path: str) -> str:
    """What to ask a customer for a fact a rule reads and the request lacks, in plain words
    ("the date of the charge"), for rules that declare no question of their own."""
    if path in _QUESTIONS:
        return _QUESTIONS[path]
    lab = label(path)
    if lab.unit is Unit.flag:
        return f"whether {lab.yes}"
    if lab.unit is Unit.instant and lab.noun.startswith("the "):
        return f"the date of {lab.noun}"
    return lab.noun


def value_label(path: str, value: object) -> str:
    text = str(value.value if isinstance(value, StrEnum) else value)
    return VALUE_LABELS.get(path, {}).get(text) or text.replace("_", " ")


def words(items: list[str], joiner: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


# --- formats ----------------------------------------------------------------------------------


def day(at: datetime, zone: ZoneInfo) -> str:
    """The local date, as people write it: "1 March 2026"."""
    local = at.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def weekday(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


_END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=4096)
def deadline(at: datetime, zone: ZoneInfo) -> str:
    """A deadline as a local time: "by 17:00 on Friday 13 March 2026 (Africa/Johannesburg)";
    a deadline at the very end of a day reads "by the end of Saturday 11 July 2026 (...)".

    Remembered (bounded): every request of a day shares its deadlines, and formatting a
    weekday is slow. Equal aware instants are one key, and rightly: the text is of the
    instant in ``zone``, whatever offset ``at`` was written with."""
    local = at.astimezone(zone)
    if local.time() >= _END_OF_DAY:
        return f"by the end of {weekday(local, zone)} ({zone.key})"
    return f"by {local:%H:%M} on {weekday(local, zone)} ({zone.key})"


def plural(n: int | Decimal, unit: str) -> str:
    shown = f"{n:,}" if isinstance(n, int) or n == int(n) else f"{n:,.2f}".rstrip("0")
    return f"{shown} {unit}" if n == 1 else f"{shown} {unit}s"


def duration(span: timedelta) -> str:
    """Elapsed time in hours and minutes: "26 hours", "72 hours and 1 minute"."""
    minutes = max(span // timedelta(minutes=1), 0)
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return plural(hours, "hour")
    if hours == 0:
        return plural(rest, "minute")
    return f"{plural(hours, 'hour')} and {plural(rest, 'minute')}"


def number(value: Decimal | int) -> str:
    """A plain number with thousands separators and no needless decimals."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,}"


def money(value: Decimal, currency: str | None) -> str:
    if currency is not None and currency in MINOR_UNITS:
        return str(Money(value, currency).round())
    return number(value)


def percent(fraction: Decimal) -> str:
    return f"{number((fraction * 100).normalize())}%"
