"""Balance checkpoints as a repository, so the scheduled job writes them inside the unit of
work that runs the due action (ADR 0045): one transaction marks the action done, appends the
checkpoints and schedules the next run, or none of it happens."""

from __future__ import annotations

from sqlalchemy import func, select

from refundable.adapters.db import schema as t
from refundable.adapters.db.checkpoints import append_checkpoints
from refundable.adapters.db.repository_base import SqlBase


class SqlCheckpoints(SqlBase):
    def refresh(self, accounts: int) -> int:
        """Checkpoint up to ``accounts`` of the tenant's own accounts (no customer: revenue,
        clearing, refunds... the ones most entries touch), those checkpointed longest ago
        first; returns the rows appended. An account with nothing recorded since its last
        checkpoints costs two indexed lookups and appends nothing."""
        a, cp = t.accounts.c, t.balance_checkpoints.c
        newest = (
            select(cp.account, func.max(cp.watermark_us).label("done"))
            .where(cp.tenant_id == self.tenant_id)
            .group_by(cp.account)
            .subquery()
        )
        stalest = (
            select(a.code)
            .outerjoin(newest, newest.c.account == a.code)
            .where(a.tenant_id == self.tenant_id, a.owner.is_(None))
            .order_by(func.coalesce(newest.c.done, -1), a.code)
            .limit(accounts)
        )
        codes = [r[0] for r in self.conn.execute(stalest)]
        return sum(append_checkpoints(self.conn, self.tenant_id, code) for code in codes)
