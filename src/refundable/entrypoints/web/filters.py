"""How the pages write amounts and instants: people see local times in the tenant's zone and
amounts with their currency, never a float."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

from refundable.billing.effects import PostingKind
from refundable.core.money import Money
from refundable.ledger.accounts import AccountKey


def local(at: datetime | None, zone: str, with_zone: bool = True) -> str:
    """An instant as the tenant's people read it: ``2026-04-10 10:00 SAST``."""
    if at is None:
        return ""
    here = at.astimezone(ZoneInfo(zone))
    return here.strftime("%Y-%m-%d %H:%M %Z" if with_zone else "%Y-%m-%d %H:%M")


def local_date(at: datetime | date | None, zone: str) -> str:
    if at is None:
        return ""
    if isinstance(at, datetime):
        return at.astimezone(ZoneInfo(zone)).date().isoformat()
    return at.isoformat()


def amount(value: Money | Decimal | int | None, currency: str = "") -> str:
    """``ZAR 1,234.50``; units of credit print as whole numbers with their unit."""
    if value is None:
        return ""
    if isinstance(value, Money):
        return f"{value.currency} {value.amount:,.2f}"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,f}"
    return f"{currency} {text}".strip()


# What each of a customer's accounts means: to the customer (portal), to staff (console).
_ACCOUNT_NAMES: dict[str, tuple[str, str]] = {
    "receivable": ("Balance due", "Receivable (owed by the customer)"),
    "wallet": ("Wallet", "Wallet"),
    "account_credit": ("Account credit", "Account credit"),
    # bought (paid or still owed: see "Balance due") and not yet delivered
    "deferred_revenue": ("Bought, service still to come", "Deferred revenue (not yet earned)"),
    "refunds_payable": ("Refunds on the way to you", "Refunds payable"),
    "credit_lots": ("Credits", "Credit lots"),
}


def _kind_of(account: AccountKey | str) -> str:
    return account.kind.name if isinstance(account, AccountKey) else account.split("/", 1)[0]


def account_name(account: AccountKey | str, portal: bool = False) -> str:
    """An account in words (``receivable/C1/ZAR`` is the customer's "Balance due")."""
    kind = _kind_of(account)
    names = _ACCOUNT_NAMES.get(kind)
    return kind.replace("_", " ").capitalize() if names is None else names[0 if portal else 1]


def commodity_of(account: str) -> str:
    """The currency or unit of an account written as text (``receivable/C1/ZAR``: ZAR)."""
    return account.rsplit("/", 1)[-1] if "/" in account else ""


def entry_what(kind: str, memo: str) -> str:
    """A statement line in words: the memo, led by the entry's kind unless the memo already
    starts with it ("payment payment P1" read twice)."""
    label = kind.replace("_", " ")
    if not memo:
        return label.capitalize()
    if memo.lower().startswith(label.lower()):
        return memo[:1].upper() + memo[1:]
    return f"{label.capitalize()}: {memo}"


# Case events a customer reads in plain words (staff read the event's own name).
_EVENT_WORDS = {"sla_warning": "deadline near", "sla_breached": "deadline missed"}


def event_name(kind: str, staff: bool = True) -> str:
    """A case event's name: its own for staff, plain words for the customer."""
    return kind.replace("_", " ") if staff else _EVENT_WORDS.get(kind, kind.replace("_", " "))


def actor_name(actor: str, staff: bool = True) -> str:
    """Who did a case's step: the recorded actor for staff; for the customer "you", "done
    automatically", or the business (never its staff's or API keys' names)."""
    if staff:
        return actor
    if actor.startswith("customer:"):
        return "you"
    return "done automatically" if actor == "system" else "the business"


def install(env: Environment) -> None:
    filters: dict[str, Any] = {
        "local": local, "local_date": local_date, "amount": amount,
        "account_name": account_name, "commodity_of": commodity_of, "entry_what": entry_what,
        "event_name": event_name, "actor_name": actor_name,
    }  # fmt: skip
    env.filters.update(filters)
    env.globals["PostingKind"] = PostingKind
