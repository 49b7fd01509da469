"""What the API tests share: the keys of a test tenant, the Authorization header, requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refundable.service.access import Role


@dataclass(frozen=True)
class Keys:
    tenant: str
    admin: str
    agent: str
    read_only: str
    other_tenant: str
    other_admin: str

    def of(self, role: Role) -> str:
        return {Role.admin: self.admin, Role.agent: self.agent, Role.read_only: self.read_only}[
            role
        ]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def duplicate_charge(**more: Any) -> dict[str, Any]:
    """A request the test policy approves in full (Conek 2.2)."""
    return {
        "requested_at": "2026-03-03T09:00:00+00:00",
        "reason": "duplicate_charge",
        "charge": {"kind": "subscription", "amount": "120.00", "currency": "ZAR",
                   "charged_at": "2026-03-01T09:00:00+00:00"},
        **more,
    }  # fmt: skip
