"""API keys and HTTP idempotency records (SQL), each call its own short transaction.

Neither belongs to a command's unit of work: a key is checked before any command runs, and an
``Idempotency-Key`` is claimed before the command and completed after it (ADR 0058). Reads use
a deferred transaction (no SQLite writer lock).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select, tuple_, update

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import READONLY
from refundable.service.access import ApiKey, Role
from refundable.service.idempotency import Stored

_K = t.api_keys.c
_I = t.http_idempotency.c


def _key(r: Any) -> ApiKey:
    revoked = None if r.revoked_us is None else rows.from_us(r.revoked_us)
    return ApiKey(
        r.key_id,
        r.tenant_id,
        Role(r.role),
        r.name,
        r.secret_hash,
        rows.from_us(r.created_us),
        revoked,
    )


class SqlApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = engine.execution_options(**{READONLY: True})

    def add(self, key: ApiKey) -> None:
        row = {
            "tenant_id": key.tenant_id,
            "key_id": key.key_id,
            "role": key.role.value,
            "name": key.name,
            "secret_hash": key.secret_hash,
            "created_us": rows.to_us(key.created_at),
            "revoked_us": None,
        }
        with self.engine.begin() as conn:
            conn.execute(t.api_keys.insert(), row)

    def find(self, key_id: str) -> ApiKey | None:
        with self.reader.begin() as conn:
            r = conn.execute(select(t.api_keys).where(_K.key_id == key_id)).first()
        return None if r is None else _key(r)

    def of_tenant(self, tenant_id: str) -> list[ApiKey]:
        stmt = select(t.api_keys).where(_K.tenant_id == tenant_id).order_by(_K.created_us)
        with self.reader.begin() as conn:
            return [_key(r) for r in conn.execute(stmt)]

    def revoke(self, tenant_id: str, key_id: str, at: datetime) -> bool:
        stmt = (
            update(t.api_keys)
            .where(_K.tenant_id == tenant_id, _K.key_id == key_id, _K.revoked_us.is_(None))
            .values(revoked_us=rows.to_us(at))
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1


class SqlIdempotency:
    """Claims of ``Idempotency-Key`` values and the first response under each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def claim(self, tenant_id: str, key: str, fingerprint: str, at: datetime) -> Stored | None:
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if self.pg else sqlite
        row = {
            "tenant_id": tenant_id,
            "key": key,
            "fingerprint": fingerprint,
            "created_us": rows.to_us(at),
        }
        stmt = dialect.insert(t.http_idempotency).on_conflict_do_nothing().returning(_I.key)
        where = (_I.tenant_id == tenant_id, _I.key == key)
        with self.engine.begin() as conn:
            if conn.execute(stmt, row).first() is not None:
                return None
            r = conn.execute(select(t.http_idempotency).where(*where)).one()
        return Stored(
            r.fingerprint, r.status, r.body, rows.from_us(r.created_us), r.done_us is not None
        )

    def take_over(
        self, tenant_id: str, key: str, fingerprint: str, at: datetime, before: datetime
    ) -> bool:
        """Claim again a key whose holder died (in flight since before ``before``) or whose
        record expired: one winner among concurrent callers (the compare in the WHERE)."""
        stmt = (
            update(t.http_idempotency)
            .where(_I.tenant_id == tenant_id, _I.key == key, _I.created_us < rows.to_us(before))
            .values(
                fingerprint=fingerprint,
                status=None,
                body=None,
                created_us=rows.to_us(at),
                done_us=None,
            )
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def finish(self, tenant_id: str, key: str, status: int, body: str, at: datetime) -> None:
        stmt = (
            update(t.http_idempotency)
            .where(_I.tenant_id == tenant_id, _I.key == key)
            .values(status=status, body=body, done_us=rows.to_us(at))
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def release(self, tenant_id: str, key: str) -> None:
        """Forget a claim whose request failed on our side (5xx): a retry runs again."""
        stmt = (
            update(t.http_idempotency)
            .where(_I.tenant_id == tenant_id, _I.key == key, _I.done_us.is_(None))
            .values(created_us=rows.to_us(rows.EPOCH))
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def purge(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` records made before ``before`` (oldest first)."""
        oldest = (
            select(_I.tenant_id, _I.key)
            .where(_I.created_us < rows.to_us(before))
            .order_by(_I.created_us)
            .limit(limit)
        )
        stmt = delete(t.http_idempotency).where(tuple_(_I.tenant_id, _I.key).in_(oldest))
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).rowcount or 0)
