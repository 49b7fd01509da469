"""The read side of subscriptions: the stored subscription, its history, its access timeline,
and ``can_use(customer, feature, at)``: the entitlement check a product asks before letting a
customer use a feature.

``can_use`` reads the customer's newest subscription and the lifecycle rules of the policy in
force at ``at``, then asks the pure ``billing.entitlement.can_use``. An open account hold (a
disputed payment, ADR 0046) also refuses use, except of the features the policy never gates by
billing status (MyProtektor 6.1: panic button, emergency dispatch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refundable.billing.entitlement import can_use as entitled
from refundable.billing.records import SubscriptionEvent, SubscriptionRecord, describe
from refundable.service.catalog import PolicyCatalog
from refundable.service.common import Context
from refundable.service.ports import Repositories, UnitOfWork
from refundable.service.resources import Page, page_of
from refundable.service.subscription_handlers import rules_at


def as_data(rec: SubscriptionRecord) -> dict[str, Any]:
    """A stored subscription as plain data: plan, both timelines, whose it is."""
    return {
        "subscription_id": rec.subscription_id,
        "customer_id": rec.customer_id,
        "created_at": rec.created_at.isoformat(),
        **describe(rec.subscription),
    }


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The answer to ``can_use``, with the reason a person can read."""

    allowed: bool
    reason: str
    subscription_id: str | None = None


class SubscriptionQueries:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], catalog: PolicyCatalog) -> None:
        self.uow_factory = uow_factory
        self.catalog = catalog

    def _read(self, tenant_id: str, fn: Callable[[Repositories], Any]) -> Any:
        with self.uow_factory() as uow:
            return fn(uow.repositories(tenant_id))

    def record(self, tenant_id: str, subscription_id: str) -> SubscriptionRecord | None:
        found: SubscriptionRecord | None = self._read(
            tenant_id, lambda r: r.subscriptions.get(subscription_id)
        )
        return found

    def subscription(self, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
        """The subscription as plain data: plan, both timelines, whose it is."""
        rec = self.record(tenant_id, subscription_id)
        return None if rec is None else as_data(rec)

    def of_customer(self, tenant_id: str, customer_id: str) -> list[SubscriptionRecord]:
        """The customer's subscriptions, newest first."""
        found: list[SubscriptionRecord] = self._read(
            tenant_id, lambda r: r.subscriptions.of_customer(customer_id)
        )
        return found

    def page(
        self, tenant_id: str, *, after: str | None, limit: int, state: str | None = None
    ) -> Page[SubscriptionRecord]:
        """The tenant's subscriptions in id order after ``after`` (in ``state`` when given):
        one page read from the store, ``limit + 1`` rows to know if more follow."""
        found: list[SubscriptionRecord] = self._read(
            tenant_id, lambda r: r.subscriptions.page(after, limit + 1, state)
        )
        return page_of(found, limit)

    def history(self, tenant_id: str, subscription_id: str) -> list[SubscriptionEvent]:
        found: list[SubscriptionEvent] = self._read(
            tenant_id, lambda r: r.subscriptions.history(subscription_id)
        )
        return found

    def access_timeline(self, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
        """Access (from, until, blocks) beside billing (period, charged through, owed)."""
        found = self.subscription(tenant_id, subscription_id)
        if found is None:
            return None
        return {"access": found["access"], "billing": found["billing"], "state": found["state"]}

    def can_use(self, tenant_id: str, customer_id: str, feature: str, at: datetime) -> Entitlement:
        found: Entitlement = self._read(
            tenant_id, lambda r: entitlement(r, self.catalog, customer_id, feature, at)
        )
        return found


def entitlement(
    repos: Repositories, catalog: PolicyCatalog, customer_id: str, feature: str, at: datetime
) -> Entitlement:
    """``can_use`` inside a unit of work (a handler may call it with its own repositories)."""
    mine = repos.subscriptions.of_customer(customer_id)
    if not mine:
        return Entitlement(False, "no subscription")
    rec = mine[0]
    rules = rules_at(Context(repos, catalog, "", at), at)
    exempt = feature in rules.suspension.exempt_features
    if not exempt and repos.subscriptions.open_holds(customer_id):
        return Entitlement(False, "the account is on hold", rec.subscription_id)
    if entitled(rec.subscription, feature, at, rules):
        return Entitlement(True, f"subscription is {rec.subscription.state.value}",
                           rec.subscription_id)  # fmt: skip
    return Entitlement(False, _why_not(rec, at), rec.subscription_id)


def _why_not(rec: SubscriptionRecord, at: datetime) -> str:
    access = rec.subscription.access
    if at < access.from_at:
        return "access has not started"
    if at >= access.until_at:
        return f"access ended at {access.until_at.isoformat()}"
    if access.blocked_by:
        reasons = ", ".join(sorted(b.reason.value for b in access.blocked_by))
        return f"access is blocked ({reasons})"
    return "payment overdue past the grace period"
