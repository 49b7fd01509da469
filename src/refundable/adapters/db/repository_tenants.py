"""Tenants, their published policy versions, and recorded decisions (SQL).

``digest_in_force`` is the per-command lookup behind the policy catalog: one index range scan
on (tenant, starts_us) returning only the digest, so the stored text is read only the first
time a process meets a version. Both it and ``get`` are prebuilt statements, and remembered
for the rest of the transaction (a command that reads the policy in force twice, for its
facts and for its decision, queries once); publishing in the same transaction forgets them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db import statements as s
from refundable.adapters.db.repository_base import SqlBase
from refundable.core.time import Clock
from refundable.ledger.decisions import DecisionRecord
from refundable.policy.document import Outcome, Remedy
from refundable.tenants.model import PolicyVersion, Tenant

_V = t.policy_versions.c


class SqlTenants(SqlBase):
    """One per unit of work (``repositories``), so what it remembers is this transaction's."""

    def __init__(self, conn: Connection, tenant_id: str, clock: Clock) -> None:
        super().__init__(conn, tenant_id, clock)
        self._seen: dict[tuple[str, str, int], Any] = {}

    def _memo(self) -> dict[tuple[str, str, int], Any]:
        return self._seen

    def get(self, tenant_id: str) -> Tenant | None:
        key = ("tenant", tenant_id, 0)
        memo = self._memo()
        if key not in memo:
            found_rows = self.db.rows(s.TENANT, {"tenant": tenant_id})
            memo[key] = Tenant(*found_rows[0]) if found_rows else None
        found: Tenant | None = memo[key]
        return found

    def add(self, tenant: Tenant) -> None:
        self._memo().clear()
        self.conn.execute(
            t.tenants.insert(),
            {
                "tenant_id": tenant.tenant_id,
                "name": tenant.name,
                "policy_id": tenant.policy_id,
                "currency": tenant.currency,
                "timezone": tenant.timezone,
            },
        )

    def versions(self, tenant_id: str) -> list[PolicyVersion]:
        stmt = select(t.policy_versions).where(_V.tenant_id == tenant_id).order_by(_V.starts_us)
        return [_version(r) for r in self.conn.execute(stmt).mappings()]

    def digest_in_force(self, tenant_id: str, at: datetime) -> str | None:
        key = ("in_force", tenant_id, rows.to_us(at))
        memo = self._memo()
        if key not in memo:
            found_rows = self.db.rows(s.DIGEST_IN_FORCE, {"tenant": tenant_id, "at_us": key[2]})
            memo[key] = found_rows[0][0] if found_rows else None
        found: str | None = memo[key]
        return found

    def version(self, tenant_id: str, digest: str) -> PolicyVersion | None:
        stmt = select(t.policy_versions).where(_V.tenant_id == tenant_id, _V.digest == digest)
        r = self.conn.execute(stmt).mappings().first()
        return None if r is None else _version(r)

    def add_version(self, v: PolicyVersion) -> None:
        self._memo().clear()
        self.conn.execute(
            t.policy_versions.insert(),
            {
                "tenant_id": v.tenant_id,
                "version": v.version,
                "policy_id": v.policy_id,
                "effective_on": v.effective_from.isoformat(),
                "starts_us": rows.to_us(v.starts_at),
                "notified_on": v.notified_on.isoformat() if v.notified_on else None,
                "published_us": rows.to_us(v.published_at),
                "digest": v.digest,
                "text": v.text,
                "notified_us": None if v.notified_at is None else rows.to_us(v.notified_at),
                "material": v.material,
            },
        )


def _version(m: Any) -> PolicyVersion:
    notified = m["notified_on"]
    return PolicyVersion(
        m["tenant_id"],
        m["policy_id"],
        m["version"],
        date.fromisoformat(m["effective_on"]),
        rows.from_us(m["starts_us"]),
        date.fromisoformat(notified) if notified else None,
        rows.from_us(m["published_us"]),
        m["digest"],
        m["text"],
        None if m["notified_us"] is None else rows.from_us(m["notified_us"]),
        bool(m["material"]),
    )


class SqlDecisions(SqlBase):
    # where ``add`` lists what it recorded: the unit of work's (ADR 0084); a read-only use
    # (resource queries) keeps a list nobody reads
    decided: list[DecisionRecord]

    def __init__(
        self, conn: Connection, tenant_id: str, clock: Clock,
        decided: list[DecisionRecord] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(conn, tenant_id, clock)
        self.decided = [] if decided is None else decided

    def add(self, d: DecisionRecord) -> None:
        self.db.write(
            s.ADD_DECISION,
            {
                "tenant_id": self.tenant_id,
                "decision_id": d.decision_id,
                "customer_id": d.customer_id,
                "policy_id": d.policy_id,
                "policy_version": d.policy_version,
                "outcome": d.outcome.value,
                "remedy": d.remedy.value,
                "rule": d.rule,
                "clauses": json.dumps(list(d.clauses)),
                "currency": d.currency,
                "gross_minor": d.gross_minor,
                "fees_minor": d.fees_minor,
                "net_minor": d.net_minor,
                "decided_us": rows.to_us(d.decided_at),
                "body": d.body,
            },
        )
        self.decided.append(d)

    def get(self, decision_id: str) -> DecisionRecord | None:
        found = self.db.rows(s.DECISION, {"tenant": self.tenant_id, "decision": decision_id})
        if not found:
            return None
        r = dict(zip(s.DECISION_COLUMNS, found[0], strict=True))
        return DecisionRecord(
            r["decision_id"], self.tenant_id, r["customer_id"], r["policy_id"],
            r["policy_version"], Outcome(r["outcome"]), Remedy(r["remedy"]), r["rule"],
            tuple(json.loads(r["clauses"])), r["currency"], int(r["gross_minor"]),
            int(r["fees_minor"]), int(r["net_minor"]), rows.from_us(r["decided_us"]), r["body"],
        )  # fmt: skip
