"""Personal data, retention schedules and erasures (SQL, ADR 0051).

Profiles and schedules are current state (upserted); erasures are history (append-only, the
database refuses UPDATE and DELETE). ``lock_schedule`` takes the schedule's row lock on
PostgreSQL so a purge and a withdrawal of the same customer are serialised.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.prepared import Prepared
from refundable.adapters.db.repository_base import SqlBase
from refundable.billing.rules import RetentionTrigger
from refundable.core.time import Clock
from refundable.privacy.model import (
    CustomerProfile,
    Erasure,
    ErasureReason,
    PersonalField,
    RetentionSchedule,
    ScheduleState,
)

_P, _R, _E = t.customer_profiles.c, t.retention_schedules.c, t.personal_data_erasures.c
_Row = namedtuple("_Row", [c.name for c in t.retention_schedules.columns])  # type: ignore[misc]
_Profile = namedtuple("_Profile", [c.name for c in t.customer_profiles.columns])  # type: ignore[misc]


def _lock_schedule(pg: bool) -> Any:
    stmt = select(t.retention_schedules).where(
        _R.tenant_id == bindparam("tenant"), _R.customer_id == bindparam("customer")
    )
    return stmt.with_for_update() if pg else stmt


# Prebuilt (ADR 0044): every subscription change that leaves the customer live asks for it.
LOCK_SCHEDULE = Prepared(_lock_schedule)
# Prebuilt too: every case notice reads it for its address (ADR 0086), and a prepared read is
# one a group-committed intake can rehearse (ADR 0072).
PROFILE = Prepared(
    lambda pg: select(t.customer_profiles).where(
        _P.tenant_id == bindparam("tenant"), _P.customer_id == bindparam("customer")
    )
)


def _opt_us(value: Any) -> Any:
    return None if value is None else rows.to_us(value)


class SqlPersonal(SqlBase):
    def __init__(self, conn: Connection, tenant_id: str, clock: Clock) -> None:
        super().__init__(conn, tenant_id, clock)
        self._profiles: dict[str, CustomerProfile | None] = {}  # read in this unit of work

    def _upsert(self, table: Table, values: dict[str, Any]) -> None:
        keys = ("tenant_id", "customer_id")
        dialect = postgresql if self.pg else sqlite
        stmt = dialect.insert(table).values(values)
        changed = {k: v for k, v in values.items() if k not in keys}
        self.conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=changed))

    def profile(self, customer_id: str) -> CustomerProfile | None:
        """The customer's profile, read once per unit of work: a case command's notices each
        ask for the address (an intake sends two), and this unit of work is the only writer
        of the row while it runs (``save_profile`` keeps the copy in step)."""
        if customer_id in self._profiles:
            return self._profiles[customer_id]
        rows_ = self.db.rows(PROFILE, {"tenant": self.tenant_id, "customer": customer_id})
        read = None
        if rows_:
            r: Any = _Profile(*rows_[0])
            read = CustomerProfile(
                self.tenant_id, r.customer_id, r.name, r.email, r.phone, r.address,
                rows.from_us(r.updated_us),
                None if r.erased_us is None else rows.from_us(r.erased_us),
            )  # fmt: skip
        self._profiles[customer_id] = read
        return read

    def save_profile(self, p: CustomerProfile) -> None:
        self._profiles[p.customer_id] = p
        self._upsert(
            t.customer_profiles,
            {
                "tenant_id": self.tenant_id,
                "customer_id": p.customer_id,
                **{f.value: getattr(p, f.value) for f in PersonalField},
                "updated_us": rows.to_us(p.updated_at),
                "erased_us": _opt_us(p.erased_at),
            },
        )

    def lock_schedule(self, customer_id: str) -> RetentionSchedule | None:
        found = self.db.rows(LOCK_SCHEDULE, {"tenant": self.tenant_id, "customer": customer_id})
        if not found:
            return None
        r: Any = _Row(*found[0])
        return RetentionSchedule(
            self.tenant_id, r.customer_id, RetentionTrigger(r.trigger),
            rows.from_us(r.trigger_us), rows.from_us(r.purge_us), r.clause,
            ScheduleState(r.state), rows.from_us(r.updated_us),
        )  # fmt: skip

    def save_schedule(self, s: RetentionSchedule) -> None:
        self._upsert(
            t.retention_schedules,
            {
                "tenant_id": self.tenant_id,
                "customer_id": s.customer_id,
                "trigger": s.trigger.value,
                "trigger_us": rows.to_us(s.trigger_at),
                "purge_us": rows.to_us(s.purge_at),
                "clause": s.clause,
                "state": s.state.value,
                "updated_us": rows.to_us(s.updated_at),
            },
        )

    def add_erasure(self, e: Erasure) -> None:
        self.conn.execute(
            t.personal_data_erasures.insert(),
            {
                "tenant_id": self.tenant_id,
                "customer_id": e.customer_id,
                "erased_us": rows.to_us(e.erased_at),
                "fields": ",".join(f.value for f in e.fields),
                "reason": e.reason.value,
                "clause": e.clause,
            },
        )

    def erasures(self, customer_id: str) -> list[Erasure]:
        stmt = (
            select(t.personal_data_erasures)
            .where(_E.tenant_id == self.tenant_id, _E.customer_id == customer_id)
            .order_by(_E.erased_us)
        )
        return [_erasure(self.tenant_id, r) for r in self.conn.execute(stmt)]


def _erasure(tenant_id: str, r: Any) -> Erasure:
    fields = tuple(PersonalField(f) for f in r.fields.split(",") if f)
    reason = ErasureReason(r.reason)
    return Erasure(tenant_id, r.customer_id, rows.from_us(r.erased_us), fields, reason, r.clause)
