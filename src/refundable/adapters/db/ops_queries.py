"""Reads for operators (metrics), across every tenant, never inside a command."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import READONLY


def outbox_lag(engine: Engine, now: datetime) -> dict[str, float]:
    """How many outbox messages wait to be sent, and how old the oldest is (seconds)."""
    o = t.outbox.c
    stmt = select(func.count(), func.min(o.created_us)).where(o.sent_us.is_(None))
    with engine.execution_options(**{READONLY: True}).begin() as conn:
        count, oldest = conn.execute(stmt).one()
    age = 0.0 if oldest is None else max(0.0, (rows.to_us(now) - oldest) / 1e6)
    return {"unsent": float(count), "oldest_age_seconds": age}
