"""Reads for operators (metrics), across every tenant, never inside a command."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy import case as when

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


def case_deadlines(engine: Engine, now: datetime) -> dict[str, float]:
    """Open cases of every tenant: how many are past a running stage's deadline (breached:
    its clock marked so, or its deadline passed) and how many, not breached, past a running
    stage's warning (at risk), judged at ``now``. One aggregate over the stage clocks'
    columns (ADR 0080): no case body is read."""
    c = t.cases.c
    at = rows.to_us(now)
    breached = c.breach_marked | (c.next_due_us <= at)
    at_risk = ~breached & (c.next_warn_us <= at)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(when((breached, 1), else_=0)), 0),
        func.coalesce(func.sum(when((at_risk, 1), else_=0)), 0),
    ).where(c.open_key.is_not(None))
    with engine.execution_options(**{READONLY: True}).begin() as conn:
        total, late, risky = conn.execute(stmt).one()
    return {"open": int(total), "at_risk": int(risky), "breached": int(late)}  # counts
