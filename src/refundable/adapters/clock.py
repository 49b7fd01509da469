"""The system clock: the only place where the present is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundable.core.time import UTC


@dataclass(frozen=True, slots=True)
class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
