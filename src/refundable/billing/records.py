"""What is stored about a subscription: the current record and its append-only history.

The pure :class:`~refundable.billing.subscription.Subscription` knows nothing of customers or
storage; a :class:`SubscriptionRecord` adds whose it is, and a :class:`SubscriptionEvent` is
one line of the history (who, when, which event, which clauses, the state after). Plans and
blocks are stored as plain JSON (a plan is a snapshot: a later price change never rewrites a
running subscription); the codec here is the one place that spells them out, so the SQL and
in-memory stores and the read side agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from refundable.billing.plans import AddOn, Cycle, Plan, UsageAllowance
from refundable.billing.promotions import Promotion
from refundable.billing.subscription import AppliedPromotion, Block, BlockReason, Subscription
from refundable.core.methods import Method
from refundable.core.money import Money


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """A stored subscription: whose it is and its state (``version`` counts the writes)."""

    subscription_id: str
    customer_id: str
    subscription: Subscription
    created_at: datetime
    version: int = 1


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """One line of a subscription's history: never changed once written."""

    subscription_id: str
    seq: int
    customer_id: str
    event: str
    at: datetime  # the business instant of the event
    recorded_at: datetime
    actor: str
    clauses: tuple[str, ...]
    state: str  # the billing state after the event
    detail: str  # what happened, in words (postings, notices)


@dataclass(frozen=True, slots=True)
class PaymentMethodOnFile:
    """The instrument a customer keeps at the gateway for charges (ADR 0066). History is
    append-only: attaching a new one or removing it (``gateway_ref`` None) adds a row with a
    higher ``seq``; the newest row is what is on file. Trials need none (Conek 5.1)."""

    customer_id: str
    seq: int
    gateway: str  # which gateway holds it (sandbox, stripe)
    gateway_ref: str | None  # None: removed, nothing on file
    method: Method
    at: datetime

    @property
    def usable(self) -> bool:
        return self.gateway_ref is not None


@dataclass(frozen=True, slots=True)
class Discontinuation:
    """A plan (or, with ``plan_id`` None, the whole service) announced to end at
    ``effective_at``; from ``announced_at`` it is no longer sold (MyProtektor 10.2)."""

    discontinuation_id: str
    plan_id: str | None
    announced_at: datetime
    effective_at: datetime
    clause: str

    def covers(self, plan_code: str) -> bool:
        return self.plan_id is None or self.plan_id == plan_code


def _money(m: Money | None) -> dict[str, str] | None:
    return None if m is None else {"amount": str(m.amount), "currency": m.currency}


def _unmoney(d: Any) -> Money | None:
    return None if d is None else Money.of(d["amount"], d["currency"])


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "tier": plan.tier,
        "cycle": plan.cycle.name,
        "price": _money(plan.price),
        "seats_max": plan.seats_max,
        "add_ons": [{"name": a.name, "price": _money(a.price)} for a in plan.add_ons],
        "usage": [
            {
                "metric": u.metric,
                "included_units": u.included_units,
                "overage_unit_rate": _money(u.overage_unit_rate),
            }
            for u in plan.usage
        ],
        "included_credits": _money(plan.included_credits),
        "credits_carry_in": plan.credits_carry_in,
        "notice_days": plan.notice_days,
        "features": sorted(plan.features),
    }


def plan_from_dict(d: dict[str, Any]) -> Plan:
    price = _unmoney(d["price"])
    assert price is not None  # a stored plan always has a price
    return Plan(
        d["code"],
        d["tier"],
        Cycle[d["cycle"]],
        price,
        d.get("seats_max"),
        tuple(AddOn(a["name"], _req(a["price"])) for a in d.get("add_ons", ())),
        tuple(
            UsageAllowance(u["metric"], u["included_units"], _req(u["overage_unit_rate"]))
            for u in d.get("usage", ())
        ),
        _unmoney(d.get("included_credits")),
        bool(d.get("credits_carry_in", False)),
        d.get("notice_days"),
        frozenset(d.get("features", ())),
    )


def _req(d: Any) -> Money:
    m = _unmoney(d)
    assert m is not None
    return m


def plan_json(plan: Plan | None) -> str | None:
    return None if plan is None else json.dumps(plan_to_dict(plan), sort_keys=True)


def plan_of_json(text: str | None) -> Plan | None:
    return None if text is None else plan_from_dict(json.loads(text))


def blocks_json(blocks: frozenset[Block]) -> str:
    items = [
        {"reason": b.reason.value, "since_at": b.since_at.isoformat(), "clause": b.clause,
         "exempt_features": sorted(b.exempt_features)}
        for b in sorted(blocks, key=lambda b: (b.since_at, b.reason.value))
    ]  # fmt: skip
    return json.dumps(items, sort_keys=True)


def blocks_of_json(text: str) -> frozenset[Block]:
    return frozenset(
        Block(
            BlockReason(b["reason"]),
            datetime.fromisoformat(b["since_at"]),
            b["clause"],
            frozenset(b["exempt_features"]),
        )
        for b in json.loads(text)
    )


def promotion_to_dict(p: Promotion) -> dict[str, Any]:
    return {
        "code": p.code,
        "discount_percent": None if p.discount_percent is None else str(p.discount_percent),
        "discount_amount": _money(p.discount_amount),
        "cycles": p.cycles,
        "credits": _money(p.credits),
        "credits_valid_days": p.credits_valid_days,
        "available_from": _iso(p.available_from),
        "available_until": _iso(p.available_until),
        "combinable": p.combinable,
    }


def promotion_from_dict(d: dict[str, Any]) -> Promotion:
    pct = d.get("discount_percent")
    return Promotion(
        d["code"], None if pct is None else Decimal(pct), _unmoney(d.get("discount_amount")),
        d.get("cycles", 1), _unmoney(d.get("credits")), d.get("credits_valid_days"),
        _of_iso(d.get("available_from")), _of_iso(d.get("available_until")),
        bool(d.get("combinable", False)),
    )  # fmt: skip


def applied_json(promotions: tuple[AppliedPromotion, ...]) -> str:
    """A subscription's offers (stored beside it; plain JSON like its plan)."""
    items = [
        {"code": p.code, "applied_at": p.applied_at.isoformat(),
         "discount_percent": None if p.discount_percent is None else str(p.discount_percent),
         "discount_amount": _money(p.discount_amount), "cycles_left": p.cycles_left,
         "credits": _money(p.credits), "credits_until": _iso(p.credits_until),
         "combinable": p.combinable}
        for p in promotions
    ]  # fmt: skip
    return json.dumps(items, sort_keys=True)


def applied_of_json(text: str | None) -> tuple[AppliedPromotion, ...]:
    return tuple(_applied(d) for d in json.loads(text or "[]"))


def _applied(d: dict[str, Any]) -> AppliedPromotion:
    pct = d["discount_percent"]
    return AppliedPromotion(
        d["code"], datetime.fromisoformat(d["applied_at"]),
        None if pct is None else Decimal(pct), _unmoney(d["discount_amount"]),
        d["cycles_left"], _req(d["credits"]), _of_iso(d["credits_until"]), d["combinable"],
    )  # fmt: skip


def _iso(d: datetime | None) -> str | None:
    return None if d is None else d.isoformat()


def _of_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def describe(sub: Subscription) -> dict[str, Any]:
    """The subscription as plain data (API, CLI, console): both timelines, in UTC ISO."""
    bill, access = sub.billing, sub.access

    def iso(d: datetime | None) -> str | None:
        return None if d is None else d.isoformat()

    return {
        "subscription_key": sub.key,
        "state": sub.state.value,
        "plan": plan_to_dict(sub.plan),
        "credits": _money(sub.credits),
        "credit_kind": sub.credit_kind.value,
        "access": {
            "from_at": iso(access.from_at),
            "until_at": iso(access.until_at),
            "blocked_by": json.loads(blocks_json(access.blocked_by)),
        },
        "billing": {
            "anchor_at": iso(bill.anchor_at),
            "period_index": bill.period_index,
            "period_start_at": iso(bill.period_start_at),
            "period_end_at": iso(bill.period_end_at),
            "next_renewal_at": iso(bill.next_renewal_at),
            "charged_through_at": iso(bill.charged_through_at),
            "balance_due": _money(bill.balance_due),
            "account_credit": _money(bill.account_credit),
            "period_price": _money(bill.period_price),
            "period_charged": _money(bill.period_charged),
            "cancel_at": iso(bill.cancel_at),
            "pending_plan": None if bill.pending_plan is None else bill.pending_plan.code,
            "first_failed_at": iso(bill.first_failed_at),
            "ended_at": iso(bill.ended_at),
        },
        "updated_at": iso(sub.updated_at),
        "promotions": json.loads(applied_json(sub.promotions)),
    }
