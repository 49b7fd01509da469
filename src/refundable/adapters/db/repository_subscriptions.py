"""Plans, subscriptions and their history (SQL), ADR 0046.

A subscription's row is its current state: written in place, under the row lock taken by
``lock`` (``FOR UPDATE`` on PostgreSQL, the writer lock on SQLite), and only from the version
that was read (``version + 1``), so two writers can never both win. Its history is a separate
append-only table whose primary key (subscription, seq) turns a second writer of the same
line into a transient conflict that the bus retries.

The statements a renewal runs (lock, save, history line) are prebuilt and compiled once
(``prepared``, ADR 0044): a month-end runs them 100,000 times, and building each through
SQLAlchemy Core cost more than the database's own work (ADR 0065).
"""

from __future__ import annotations

import json
from collections import namedtuple
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.prepared import Prepared
from refundable.adapters.db.repository_base import SqlBase
from refundable.billing.plans import Plan
from refundable.billing.promotions import Promotion
from refundable.billing.records import (
    Discontinuation,
    PaymentMethodOnFile,
    SubscriptionEvent,
    SubscriptionRecord,
    applied_json,
    applied_of_json,
    blocks_json,
    blocks_of_json,
    plan_json,
    plan_of_json,
    promotion_from_dict,
    promotion_to_dict,
)
from refundable.billing.subscription import (
    AccessTimeline,
    BillingState,
    BillingTimeline,
    CreditKind,
    Subscription,
)
from refundable.core.errors import InvariantBroken
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service.ports import Retry

_S = t.subscriptions.c
_E = t.subscription_events.c
_SubRow = namedtuple("_SubRow", [c.name for c in t.subscriptions.columns])  # type: ignore[misc]
_FIXED = ("tenant_id", "subscription_id", "customer_id", "created_us")  # never rewritten


def _lock_one(pg: bool) -> Any:
    stmt = select(t.subscriptions).where(
        _S.tenant_id == bindparam("tenant"), _S.subscription_id == bindparam("sid")
    )
    return stmt.with_for_update() if pg else stmt


LOCK = Prepared(_lock_one)
SAVE = Prepared(
    lambda pg: (
        update(t.subscriptions)
        .where(
            _S.tenant_id == bindparam("tenant"),
            _S.subscription_id == bindparam("sid"),
            _S.version == bindparam("was"),
        )
        .values(
            {c.name: bindparam(c.name) for c in t.subscriptions.columns if c.name not in _FIXED}
        )
    )
)
APPEND = Prepared(lambda pg: insert(t.subscription_events))


def _us(d: Any) -> int | None:
    return None if d is None else rows.to_us(d)


def _at(us: int | None) -> Any:
    return None if us is None else rows.from_us(us)


def subscription_row(rec: SubscriptionRecord) -> dict[str, Any]:
    """The columns of one subscription (the bench and the store write the same shape)."""
    sub, bill, access = rec.subscription, rec.subscription.billing, rec.subscription.access
    return {
        "subscription_id": rec.subscription_id,
        "customer_id": rec.customer_id,
        "state": bill.state.value,
        "currency": sub.currency,
        "plan_id": sub.plan.code,
        "plan": plan_json(sub.plan),
        "access_from_us": rows.to_us(access.from_at),
        "access_until_us": rows.to_us(access.until_at),
        "blocks": blocks_json(access.blocked_by),
        "anchor_us": rows.to_us(bill.anchor_at),
        "period_index": bill.period_index,
        "period_start_us": rows.to_us(bill.period_start_at),
        "period_end_us": rows.to_us(bill.period_end_at),
        "next_renewal_us": _us(bill.next_renewal_at),
        "charged_through_us": rows.to_us(bill.charged_through_at),
        "balance_due_minor": bill.balance_due.to_minor(),
        "account_credit_minor": bill.account_credit.to_minor(),
        "period_price_minor": bill.period_price.to_minor(),
        "period_charged_minor": bill.period_charged.to_minor(),
        "cancel_at_us": _us(bill.cancel_at),
        "pending_plan": plan_json(bill.pending_plan),
        "first_failed_us": _us(bill.first_failed_at),
        "ended_us": _us(bill.ended_at),
        "credits_minor": sub.credits.to_minor(),
        "credit_kind": sub.credit_kind.value,
        "promotions": applied_json(sub.promotions),
        "updated_us": rows.to_us(sub.updated_at),
        "created_us": rows.to_us(rec.created_at),
        "version": rec.version,
    }


def subscription_from(r: Any) -> SubscriptionRecord:
    plan = plan_of_json(r.plan)
    if plan is None:
        raise InvariantBroken(f"subscription {r.subscription_id} has no plan")
    cur = r.currency

    def money(minor: int) -> Money:
        return Money.from_minor(minor, cur)

    state = BillingState(r.state)
    # a row from before 0022 was charged the plan's price (a trial nothing), as 0022 backfills
    before = Money.zero(cur) if state is BillingState.trialing else plan.cycle_price

    def charged(minor: int | None) -> Money:
        return before if minor is None else money(minor)

    billing = BillingTimeline(
        state, rows.from_us(r.anchor_us), r.period_index,
        rows.from_us(r.period_start_us), rows.from_us(r.period_end_us), _at(r.next_renewal_us),
        rows.from_us(r.charged_through_us), money(r.balance_due_minor),
        money(r.account_credit_minor), charged(r.period_price_minor),
        charged(r.period_charged_minor), _at(r.cancel_at_us), plan_of_json(r.pending_plan),
        _at(r.first_failed_us), _at(r.ended_us),
    )  # fmt: skip
    access = AccessTimeline(
        rows.from_us(r.access_from_us), rows.from_us(r.access_until_us), blocks_of_json(r.blocks)
    )
    sub = Subscription(
        r.subscription_id, plan, access, billing, money(r.credits_minor),
        CreditKind(r.credit_kind), rows.from_us(r.updated_us), applied_of_json(r.promotions),
    )  # fmt: skip
    return SubscriptionRecord(
        r.subscription_id, r.customer_id, sub, rows.from_us(r.created_us), r.version
    )


def event_from(r: Any) -> SubscriptionEvent:
    return SubscriptionEvent(
        r.subscription_id, r.seq, r.customer_id, r.event, rows.from_us(r.at_us),
        rows.from_us(r.recorded_us), r.actor, tuple(json.loads(r.clauses)), r.state, r.detail,
    )  # fmt: skip


class SqlSubscriptions(SqlBase):
    def plan(self, plan_id: str) -> Plan | None:
        p = t.plans.c
        stmt = select(p.body).where(p.tenant_id == self.tenant_id, p.plan_id == plan_id)
        body = self.conn.execute(stmt).scalar()
        return plan_of_json(body)

    def add_plan(self, plan: Plan) -> None:
        self.conn.execute(
            t.plans.insert(),
            {"tenant_id": self.tenant_id, "plan_id": plan.code, "body": plan_json(plan),
             "created_us": self._now_us()},
        )  # fmt: skip

    def plans(self) -> list[Plan]:
        p = t.plans.c
        stmt = select(p.body).where(p.tenant_id == self.tenant_id)
        found = [plan_of_json(body) for body in self.conn.execute(stmt).scalars()]
        return sorted((x for x in found if x is not None), key=lambda x: (x.tier, x.code))

    def _one(self, subscription_id: str) -> Any:
        return select(t.subscriptions).where(
            _S.tenant_id == self.tenant_id, _S.subscription_id == subscription_id
        )

    def lock(self, subscription_id: str) -> SubscriptionRecord | None:
        found = self.db.rows(LOCK, {"tenant": self.tenant_id, "sid": subscription_id})
        return subscription_from(_SubRow(*found[0])) if found else None

    def get(self, subscription_id: str) -> SubscriptionRecord | None:
        r = self.conn.execute(self._one(subscription_id)).first()
        return None if r is None else subscription_from(r)

    def of_customer(self, customer_id: str) -> list[SubscriptionRecord]:
        stmt = (
            select(t.subscriptions)
            .where(_S.tenant_id == self.tenant_id, _S.customer_id == customer_id)
            .order_by(_S.created_us.desc(), _S.subscription_id.desc())
        )
        return [subscription_from(r) for r in self.conn.execute(stmt)]

    def page(
        self, after: str | None, limit: int, state: str | None = None
    ) -> list[SubscriptionRecord]:
        stmt = select(t.subscriptions).where(_S.tenant_id == self.tenant_id)
        if after is not None:
            stmt = stmt.where(_S.subscription_id > after)
        if state is not None:
            stmt = stmt.where(_S.state == state)
        stmt = stmt.order_by(_S.subscription_id).limit(limit)
        return [subscription_from(r) for r in self.conn.execute(stmt)]

    def add(self, record: SubscriptionRecord) -> None:
        self.conn.execute(
            t.subscriptions.insert(), {"tenant_id": self.tenant_id, **subscription_row(record)}
        )

    def save(self, record: SubscriptionRecord) -> None:
        values = subscription_row(record)
        values.update(tenant=self.tenant_id, sid=record.subscription_id, was=record.version - 1)
        # On SQLite (no row lock) another writer may have got there first; on PostgreSQL the
        # row lock of ``lock`` keeps them out, and this is the second guard of a stale write.
        if self.db.count(SAVE, values) != 1:
            raise Retry(f"subscription {record.subscription_id} changed under us")

    def append(self, event: SubscriptionEvent) -> None:
        self.db.write(
            APPEND,
            {
                "tenant_id": self.tenant_id,
                "subscription_id": event.subscription_id,
                "seq": event.seq,
                "customer_id": event.customer_id,
                "event": event.event,
                "at_us": rows.to_us(event.at),
                "recorded_us": rows.to_us(event.recorded_at),
                "actor": event.actor,
                "clauses": json.dumps(list(event.clauses)),
                "state": event.state,
                "detail": event.detail,
            },
        )

    def history(self, subscription_id: str) -> list[SubscriptionEvent]:
        stmt = (
            select(t.subscription_events)
            .where(_E.tenant_id == self.tenant_id, _E.subscription_id == subscription_id)
            .order_by(_E.seq)
        )
        return [event_from(r) for r in self.conn.execute(stmt)]

    def open_holds(self, customer_id: str) -> int:
        h, r = t.holds.c, t.hold_releases.c
        released = select(r.hold_id).where(r.tenant_id == self.tenant_id)
        stmt = select(func.count()).where(
            h.tenant_id == self.tenant_id,
            h.customer_id == customer_id,
            h.hold_id.not_in(released),
        )
        return int(self.conn.execute(stmt).scalar() or 0)

    def payment_method(self, customer_id: str) -> PaymentMethodOnFile | None:
        m = t.payment_methods.c
        stmt = (
            select(t.payment_methods)
            .where(m.tenant_id == self.tenant_id, m.customer_id == customer_id)
            .order_by(m.seq.desc())
            .limit(1)
        )
        r = self.conn.execute(stmt).first()
        if r is None:
            return None
        return PaymentMethodOnFile(r.customer_id, r.seq, r.gateway, r.gateway_ref,
                                   Method(r.method), rows.from_us(r.at_us))  # fmt: skip

    def add_payment_method(self, pm: PaymentMethodOnFile) -> None:
        self.conn.execute(
            t.payment_methods.insert(),
            {"tenant_id": self.tenant_id, "customer_id": pm.customer_id, "seq": pm.seq,
             "gateway": pm.gateway, "gateway_ref": pm.gateway_ref, "method": pm.method.value,
             "at_us": rows.to_us(pm.at)},
        )  # fmt: skip

    def live(self, plan_id: str | None) -> list[SubscriptionRecord]:
        """Subscriptions not ended (on ``plan_id``, or on any plan), by id."""
        ended = (BillingState.cancelled.value, BillingState.terminated.value)
        stmt = select(t.subscriptions).where(_S.tenant_id == self.tenant_id, _S.state.not_in(ended))
        if plan_id is not None:
            stmt = stmt.where(_S.plan_id == plan_id)
        return [subscription_from(r) for r in self.conn.execute(stmt.order_by(_S.subscription_id))]

    def latest_payment(self, customer_id: str) -> str | None:
        p = t.payments.c
        stmt = (
            select(p.payment_id)
            .where(p.tenant_id == self.tenant_id, p.customer_id == customer_id,
                   p.method.not_in(("wallet", "account_credit")))
            .order_by(p.paid_us.desc(), p.payment_id.desc())
            .limit(1)
        )  # fmt: skip
        found = self.conn.execute(stmt).scalar()
        return None if found is None else str(found)

    def add_discontinuation(self, d: Discontinuation) -> None:
        self.conn.execute(
            t.service_discontinuations.insert(),
            {"tenant_id": self.tenant_id, "discontinuation_id": d.discontinuation_id,
             "plan_id": d.plan_id, "announced_us": rows.to_us(d.announced_at),
             "effective_us": rows.to_us(d.effective_at), "clause": d.clause},
        )  # fmt: skip

    def discontinuations(self) -> list[Discontinuation]:
        d = t.service_discontinuations.c
        stmt = select(t.service_discontinuations).where(d.tenant_id == self.tenant_id)
        return [
            Discontinuation(r.discontinuation_id, r.plan_id, rows.from_us(r.announced_us),
                            rows.from_us(r.effective_us), r.clause)
            for r in self.conn.execute(stmt.order_by(d.announced_us))
        ]  # fmt: skip

    def promotion(self, code: str) -> Promotion | None:
        p = t.promotions.c
        stmt = select(p.body).where(p.tenant_id == self.tenant_id, p.code == code)
        body = self.conn.execute(stmt).scalar()
        return None if body is None else promotion_from_dict(json.loads(body))

    def add_promotion(self, promo: Promotion) -> None:
        self.conn.execute(
            t.promotions.insert(),
            {"tenant_id": self.tenant_id, "code": promo.code,
             "body": json.dumps(promotion_to_dict(promo), sort_keys=True),
             "created_us": self._now_us()},
        )  # fmt: skip
