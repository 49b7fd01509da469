"""Plans, subscriptions and their history, in memory (the service tests' store)."""

from __future__ import annotations

from refundable.billing.plans import Plan
from refundable.billing.promotions import Promotion
from refundable.billing.records import (
    Discontinuation,
    PaymentMethodOnFile,
    SubscriptionEvent,
    SubscriptionRecord,
)
from refundable.billing.subscription import ENDED
from refundable.core.errors import InvariantBroken
from refundable.service.ports import Retry

from .repositories import _insert, _Repo


class MemSubscriptions(_Repo):
    def plan(self, plan_id: str) -> Plan | None:
        return self.t.plans.get(self.k(plan_id))

    def add_plan(self, plan: Plan) -> None:
        _insert(self.t.plans, self.k(plan.code), plan, "plan")

    def plans(self) -> list[Plan]:
        mine = [v for (tenant, _), v in self.t.plans.items() if tenant == self.tenant_id]
        return sorted(mine, key=lambda x: (x.tier, x.code))

    def lock(self, subscription_id: str) -> SubscriptionRecord | None:
        return self.t.subscriptions.get(self.k(subscription_id))

    def get(self, subscription_id: str) -> SubscriptionRecord | None:
        return self.t.subscriptions.get(self.k(subscription_id))

    def of_customer(self, customer_id: str) -> list[SubscriptionRecord]:
        mine = [
            r
            for (tenant, _), r in self.t.subscriptions.items()
            if tenant == self.tenant_id and r.customer_id == customer_id
        ]
        return sorted(mine, key=lambda r: (r.created_at, r.subscription_id), reverse=True)

    def page(
        self, after: str | None, limit: int, state: str | None = None
    ) -> list[SubscriptionRecord]:
        mine = sorted(
            (r for (tenant, sid), r in self.t.subscriptions.items()
             if tenant == self.tenant_id and (after is None or sid > after)
             and (state is None or r.subscription.state.value == state)),
            key=lambda r: r.subscription_id,
        )  # fmt: skip
        return mine[:limit]

    def add(self, record: SubscriptionRecord) -> None:
        _insert(self.t.subscriptions, self.k(record.subscription_id), record, "subscription")

    def save(self, record: SubscriptionRecord) -> None:
        key = self.k(record.subscription_id)
        old = self.t.subscriptions.get(key)
        if old is None or old.version != record.version - 1:
            raise Retry(f"subscription {record.subscription_id} changed under us")
        self.t.subscriptions[key] = record

    def append(self, event: SubscriptionEvent) -> None:
        key = (self.tenant_id, event.subscription_id, event.seq)
        if key in self.t.subscription_events:
            raise InvariantBroken(f"subscription event {key} written twice")
        self.t.subscription_events[key] = event

    def history(self, subscription_id: str) -> list[SubscriptionEvent]:
        mine = [
            e
            for (tenant, sid, _), e in self.t.subscription_events.items()
            if tenant == self.tenant_id and sid == subscription_id
        ]
        return sorted(mine, key=lambda e: e.seq)

    def open_holds(self, customer_id: str) -> int:
        return sum(
            1
            for (tenant, _), h in self.t.holds.items()
            if tenant == self.tenant_id and h.customer_id == customer_id and h.released_at is None
        )

    def payment_method(self, customer_id: str) -> PaymentMethodOnFile | None:
        mine = [
            pm
            for (tenant, cid, _), pm in self.t.payment_methods.items()
            if tenant == self.tenant_id and cid == customer_id
        ]
        return max(mine, key=lambda pm: pm.seq, default=None)

    def add_payment_method(self, pm: PaymentMethodOnFile) -> None:
        key = (self.tenant_id, pm.customer_id, pm.seq)
        if key in self.t.payment_methods:
            raise Retry(f"payment method {key} written concurrently")
        self.t.payment_methods[key] = pm

    def live(self, plan_id: str | None) -> list[SubscriptionRecord]:
        mine = [
            r
            for (tenant, _), r in self.t.subscriptions.items()
            if tenant == self.tenant_id
            and r.subscription.state not in ENDED
            and (plan_id is None or r.subscription.plan.code == plan_id)
        ]
        return sorted(mine, key=lambda r: r.subscription_id)

    def latest_payment(self, customer_id: str) -> str | None:
        mine = [
            p
            for (tenant, _), p in self.t.payments.items()
            if tenant == self.tenant_id and p.customer_id == customer_id and not p.method.internal
        ]
        latest = max(mine, key=lambda p: (p.paid_at, p.payment_id), default=None)
        return None if latest is None else latest.payment_id

    def add_discontinuation(self, d: Discontinuation) -> None:
        _insert(self.t.discontinuations, self.k(d.discontinuation_id), d, "discontinuation")

    def discontinuations(self) -> list[Discontinuation]:
        mine = [d for (tenant, _), d in self.t.discontinuations.items() if tenant == self.tenant_id]
        return sorted(mine, key=lambda d: d.announced_at)

    def promotion(self, code: str) -> Promotion | None:
        return self.t.promotions.get(self.k(code))

    def add_promotion(self, promo: Promotion) -> None:
        _insert(self.t.promotions, self.k(promo.code), promo, "promotion")
