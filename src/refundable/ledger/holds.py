"""Account holds: a customer's account is held while a dispute over its money is open.

A hold is placed with the chargeback that causes it and released (won, lost, withdrawn) when
the dispute ends. The release is its own append-only record; the hold never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class HoldResolution(Enum):
    """How the dispute behind an account hold ended."""

    won = "won"  # decided for the business
    lost = "lost"  # decided for the customer
    withdrawn = "withdrawn"  # the customer or the issuer dropped it


@dataclass(frozen=True, slots=True)
class Hold:
    """An account hold; ``released_at``/``resolution`` are set once it has been released."""

    hold_id: str
    customer_id: str
    reason: str
    payment_id: str | None
    dispute_id: str | None
    placed_at: datetime
    released_at: datetime | None = None
    resolution: str | None = None
