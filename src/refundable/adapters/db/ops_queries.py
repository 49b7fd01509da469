"""Reads for operators (metrics), across every tenant, never inside a command."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import READONLY
from refundable.service.case_queries import CaseQueries


def outbox_lag(engine: Engine, now: datetime) -> dict[str, float]:
    """How many outbox messages wait to be sent, and how old the oldest is (seconds)."""
    o = t.outbox.c
    stmt = select(func.count(), func.min(o.created_us)).where(o.sent_us.is_(None))
    with engine.execution_options(**{READONLY: True}).begin() as conn:
        count, oldest = conn.execute(stmt).one()
    age = 0.0 if oldest is None else max(0.0, (rows.to_us(now) - oldest) / 1e6)
    return {"unsent": float(count), "oldest_age_seconds": age}


def tenant_ids(engine: Engine) -> list[str]:
    with engine.execution_options(**{READONLY: True}).begin() as conn:
        return [r[0] for r in conn.execute(select(t.tenants.c.tenant_id))]


def case_deadlines(engine: Engine, cases: CaseQueries, now: datetime) -> dict[str, float]:
    """Open cases of every tenant: how many are past a stage's warning (at risk) and how many
    past a stage's deadline (breached), judged at ``now`` from their running clocks."""
    counts = {"open": 0.0, "at_risk": 0.0, "breached": 0.0}
    for tenant in tenant_ids(engine):
        for case in cases.cases(tenant, open_only=True):
            running = [k for k in case.clocks if k.running]
            counts["open"] += 1
            if any(k.breached or k.due_at <= now for k in running):
                counts["breached"] += 1
            elif any(k.warn_at <= now for k in running):
                counts["at_risk"] += 1
    return counts
