"""What a cancellation or a plan change would do, shown before the customer confirms.

The lifecycle's transitions are pure (``billing.transitions.apply``), so a preview is the very
transition the command would run, on the stored subscription and the rules of the policy in
force, with nothing written: the effective date, the postings (charges, credits, forfeited
credits) and the notices, each with its clause. A mode or plan the policy refuses now comes
back with the refusal, so a page can say why instead of hiding the option. The customer then
confirms with the real command; if time moved on meanwhile, the command decides afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from refundable.billing import events as ev
from refundable.billing.effects import Effects, PostingKind
from refundable.billing.plans import Plan
from refundable.billing.rules import LifecycleRules
from refundable.billing.subscription import Subscription
from refundable.billing.transitions import apply
from refundable.core.errors import NotFound, RefundableError
from refundable.core.money import Money
from refundable.service.bus import MessageBus
from refundable.service.common import Context
from refundable.service.ports import Repositories
from refundable.service.subscription_handlers import rules_at

T = TypeVar("T")
Event = ev.Cancel | ev.Upgrade | ev.Downgrade


@dataclass(frozen=True, slots=True)
class ChangePreview:
    """One possible change: what it would do, or why the policy refuses it now."""

    label: str  # the cancel mode or the plan code
    before: Subscription
    after: Subscription | None
    effects: Effects | None
    refused: RefundableError | None
    rules: LifecycleRules
    target: Plan | None = None  # the plan moved to (plan changes only)

    @property
    def upgrade(self) -> bool:
        return self.target is not None and self.target.tier > self.before.plan.tier

    @property
    def access_until(self) -> datetime | None:
        return None if self.after is None else self.after.access.until_at

    @property
    def data_kept_until(self) -> datetime | None:
        """Personal data is kept this long after the cancellation takes effect (None: no
        date, e.g. a policy that states no retention period erases only on request)."""
        until = self.access_until
        days = self.rules.retention.after_cancellation_days
        return None if until is None or days is None else until + timedelta(days=days)

    def total(self, kind: PostingKind) -> Money | None:
        """The sum of the change's postings of one kind (None: there are none)."""
        found = [
            p.amount for p in (self.effects.postings if self.effects else ()) if p.kind is kind
        ]
        return sum(found[1:], found[0]) if found else None


@dataclass(frozen=True, slots=True)
class _Loaded:
    subscription: Subscription
    rules: LifecycleRules
    plans: list[Plan]


def _read(
    bus: MessageBus, tenant_id: str, subscription_id: str, at: datetime, customer_id: str | None,
    fn: Callable[[_Loaded], T],
) -> T:  # fmt: skip
    with bus.read_uow_factory() as uow:  # never committed: a read
        repos: Repositories = uow.repositories(tenant_id)
        rec = repos.subscriptions.get(subscription_id)
        if rec is None or (customer_id is not None and rec.customer_id != customer_id):
            raise NotFound(
                f"no subscription {subscription_id!r} here",
                where="subscription",
                allowed="one of your subscriptions",
            )
        rules = rules_at(Context(repos, bus.catalog, "", at), at)
        return fn(_Loaded(rec.subscription, rules, repos.subscriptions.plans()))


def _try(loaded: _Loaded, label: str, event: Event, at: datetime) -> ChangePreview:
    target = None if isinstance(event, ev.Cancel) else event.plan
    try:
        after, effects = apply(loaded.subscription, event, at, loaded.rules)
    except RefundableError as err:
        return ChangePreview(label, loaded.subscription, None, None, err, loaded.rules, target)
    return ChangePreview(label, loaded.subscription, after, effects, None, loaded.rules, target)


def preview_cancellations(
    bus: MessageBus, tenant_id: str, subscription_id: str, at: datetime,
    customer_id: str | None = None,
) -> list[ChangePreview]:  # fmt: skip
    """Each way of cancelling (at period end, immediately, cooling-off), as of ``at``."""

    def each(loaded: _Loaded) -> list[ChangePreview]:
        return [_try(loaded, m.value, ev.Cancel(m), at) for m in ev.CancelMode]

    return _read(bus, tenant_id, subscription_id, at, customer_id, each)


def preview_plan_changes(
    bus: MessageBus, tenant_id: str, subscription_id: str, at: datetime,
    customer_id: str | None = None,
) -> list[ChangePreview]:  # fmt: skip
    """A move to each other plan of the tenant: up a tier is an upgrade, otherwise a
    downgrade, as the policy's lifecycle reads them."""

    def each(loaded: _Loaded) -> list[ChangePreview]:
        current = loaded.subscription.plan
        out = []
        for plan in loaded.plans:
            if plan.code == current.code or plan.currency != current.currency:
                continue
            event: Event = ev.Upgrade(plan) if plan.tier > current.tier else ev.Downgrade(plan)
            out.append(_try(loaded, plan.code, event, at))
        return out

    return _read(bus, tenant_id, subscription_id, at, customer_id, each)
