"""The login store on SQL (ADR 0061): one short transaction per call, beside the bus.

``use_link`` inserts the link's id: the primary key refuses a second insert (on PostgreSQL a
concurrent insert of the same link waits for the first to commit, then fails; on SQLite the
writer lock serialises the two and the append-only replace guard refuses the second). Either
way exactly one redemption wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.service.logins import Login, Role, login_taken

_L = t.logins.c


class SqlLogins:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, login: Login) -> None:
        values = {
            "tenant_id": login.tenant_id,
            "email": login.email,
            "role": login.role.value,
            "password_hash": login.password_hash,
            "customer_id": login.customer_id,
            "created_us": rows.to_us(login.created_at),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(t.logins.insert(), values)
        except IntegrityError:
            raise login_taken(login) from None

    def find(self, tenant_id: str, email: str) -> Login | None:
        stmt = select(t.logins).where(_L.tenant_id == tenant_id, _L.email == email)
        with self.engine.connect() as conn:
            r = conn.execute(stmt).mappings().first()
        return None if r is None else _login(r)

    def of_tenant(self, tenant_id: str) -> list[Login]:
        stmt = select(t.logins).where(_L.tenant_id == tenant_id).order_by(_L.email)
        with self.engine.connect() as conn:
            return [_login(r) for r in conn.execute(stmt).mappings()]

    def tenants(self) -> list[str]:
        stmt = select(_L.tenant_id).distinct().order_by(_L.tenant_id)
        with self.engine.connect() as conn:
            return [str(v) for v in conn.execute(stmt).scalars()]

    def use_link(self, tenant_id: str, link_id: str, email: str, at: datetime) -> bool:
        values = {"tenant_id": tenant_id, "link_id": link_id, "email": email}
        try:
            with self.engine.begin() as conn:
                conn.execute(t.sign_in_links.insert(), {**values, "used_us": rows.to_us(at)})
        except IntegrityError:  # the key (or SQLite's replace guard) refuses a second use
            return False
        return True


def _login(m: Any) -> Login:
    return Login(
        m["tenant_id"],
        m["email"],
        Role(m["role"]),
        rows.from_us(m["created_us"]),
        m["password_hash"],
        m["customer_id"],
    )
