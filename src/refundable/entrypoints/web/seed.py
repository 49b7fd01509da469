"""Demo logins, so a newcomer can click through the console and the portal at once.

Every tenant gets an admin, an agent and a read-only login with one shared, printed password;
every customer with records gets a portal login at a made-up address (their sign-in links are
mailed like anyone's; ``refundable serve`` shows where the mail goes). A customer whose profile
holds no email gets that address on it too: the profile is where a case's notices go (ADR
0086), so what a portal case asks reaches the person who signed in. Running it again adds
only what is missing. Demo data only: a production deployment creates its own logins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass

from refundable.bootstrap import App
from refundable.config import shipped_policies_dir
from refundable.core.errors import Conflict, InvariantBroken
from refundable.entrypoints.web.security import hash_password
from refundable.policy.registry import policy_files
from refundable.service import commands as c
from refundable.service.logins import Login, Logins, Role

DEMO_PASSWORD = "refundable-demo"
STAFF = (("admin", Role.admin), ("agent", Role.agent), ("viewer", Role.read_only))
_NOT_LOCAL = re.compile(r"[^a-z0-9._+\-]+")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    tenant_id: str
    email: str
    role: Role
    password: str | None  # None: a customer, who signs in by an emailed link
    customer_id: str | None = None


def seed_demo_logins(
    app: App,
    tenants: Sequence[str] | None = None,
    customers: Mapping[str, Sequence[str]] | None = None,
) -> list[DemoLogin]:
    """Staff logins for ``tenants`` (default: the four demo tenants) and portal logins for
    ``customers`` (default: every customer of those tenants with ledger records). Returns
    every demo login, new or already there."""
    store = app.logins
    if store is None:
        raise InvariantBroken("this app was wired without a login store")
    tenant_ids = list(tenants if tenants is not None else demo_tenants())
    seeded: list[DemoLogin] = []
    for tenant_id in tenant_ids:
        for name, role in STAFF:
            demo = DemoLogin(tenant_id, f"{name}@{tenant_id}.example", role, DEMO_PASSWORD)
            seeded.append(_ensure(app, store, demo))
        chosen = _customers(app, tenant_id) if customers is None else customers.get(tenant_id, ())
        for customer_id in chosen:
            email = f"{_local(customer_id)}@customers.{tenant_id}.example"
            seeded.append(
                _ensure(app, store, DemoLogin(tenant_id, email, Role.customer, None, customer_id))
            )
            _profile_email(app, tenant_id, customer_id, email)
    return seeded


def _profile_email(app: App, tenant_id: str, customer_id: str, email: str) -> None:
    """Put the login's address on the customer's profile, unless it holds one (or was
    erased); the rest of the profile is kept."""
    with app.bus.uow_factory() as uow:
        repos = uow.repositories(tenant_id)
        if repos.customers.get(customer_id) is None:
            return  # a customer named only by a test: no profile to keep
        profile = repos.personal.profile(customer_id)
    if profile is not None and (profile.email is not None or profile.erased_at is not None):
        return
    kept = {} if profile is None else {f: getattr(profile, f) for f in ("name", "phone", "address")}
    app.bus.handle(c.RecordCustomerProfile(
        tenant_id, f"demo-profile-{customer_id}", customer_id, app.clock.now(), email=email,
        **kept,
    ))  # fmt: skip


def _ensure(app: App, store: Logins, demo: DemoLogin) -> DemoLogin:
    if store.find(demo.tenant_id, demo.email) is not None:
        return demo
    hashed = hash_password(demo.password) if demo.password is not None else None
    login = Login(demo.tenant_id, demo.email, demo.role, app.clock.now(), hashed, demo.customer_id)
    with suppress(Conflict):  # another process seeded it a moment ago
        store.add(login)
    return demo


def demo_tenants() -> list[str]:
    """The demo tenants: one per shipped policy, named after it (``seed_demo_tenants``)."""
    return [path.stem for path in policy_files(shipped_policies_dir())]


def _customers(app: App, tenant_id: str) -> list[str]:
    owners = {
        b.account.owner
        for b in app.queries.balances(tenant_id)
        if b.account.kind.spec.per_customer and b.account.owner
    }
    return sorted(owners)


def _local(customer_id: str) -> str:
    return _NOT_LOCAL.sub("-", customer_id.lower()).strip("-.")[:64] or "customer"
