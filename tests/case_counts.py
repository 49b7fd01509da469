"""The open-case count as it was made before ADR 0080 (every open case's body, clock by
clock): the oracle the clock-column aggregate is compared with, in the test and the bench."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from refundable.adapters.db import schema as t
from refundable.service.case_queries import CaseQueries


def by_the_clocks(engine: Engine, reads: CaseQueries, now: datetime) -> dict[str, float]:
    """Open cases of every tenant: breached (a running clock marked so, or past its deadline)
    and, not breached, at risk (past a running clock's warning), judged at ``now``."""
    counts = {"open": 0.0, "at_risk": 0.0, "breached": 0.0}
    with engine.connect() as conn:
        tenants = [r[0] for r in conn.execute(select(t.tenants.c.tenant_id))]
    for tenant in tenants:
        for case in reads.cases(tenant, open_only=True):
            running = [k for k in case.clocks if k.running]
            counts["open"] += 1
            if any(k.breached or k.due_at <= now for k in running):
                counts["breached"] += 1
            elif any(k.warn_at <= now for k in running):
                counts["at_risk"] += 1
    return counts
