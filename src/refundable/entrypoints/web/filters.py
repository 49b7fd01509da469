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


def install(env: Environment) -> None:
    filters: dict[str, Any] = {"local": local, "local_date": local_date, "amount": amount}
    env.filters.update(filters)
    env.globals["PostingKind"] = PostingKind
