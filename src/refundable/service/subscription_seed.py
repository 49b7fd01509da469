"""Demo subscriptions in every state, for a tenant whose policy has a lifecycle section.

The console, the portal and the API's demos need a customer in each state (trialing, active,
past due, suspended, cancellation pending, cancelled, terminated, downgrade pending) without
walking a clock through months. Each is made through the bus with the tenant's own policy, so
every posting, action and notice is the real one. Idempotent: the keys derive from the tenant
and the state, so running it again replays. A path the policy does not offer (Conek has no
immediate cancellation, MyProtektor no trial and no termination terms) is reached another way
or skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from refundable.billing.events import CancelMode
from refundable.billing.plans import Cycle
from refundable.billing.policy import lifecycle_rules
from refundable.billing.rules import LifecycleRules
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service import commands as c
from refundable.service.bus import MessageBus
from refundable.service.common import Receipt

DEMO_PLANS = (("basic", 1, Cycle.monthly, "100.00"), ("pro", 2, Cycle.monthly, "250.00"),
              ("annual", 1, Cycle.annual, "1000.00"))  # fmt: skip
Step = Callable[[str, str], list[c.Command]]


def _rules(bus: MessageBus, tenant_id: str, at: datetime) -> LifecycleRules | None:
    with bus.uow_factory() as uow:
        repos = uow.repositories(tenant_id)
        return lifecycle_rules(bus.catalog.in_force(repos.tenants, tenant_id, at).document)


def seed_demo_subscriptions(
    bus: MessageBus, tenant_id: str, at: datetime, prefix: str = "demo"
) -> dict[str, str]:
    """One subscription per state at ``at``; returns {state: subscription id}. A tenant
    whose policy has no lifecycle section gets none."""
    rules = _rules(bus, tenant_id, at)
    if rules is None:
        return {}
    cur = rules.currency
    for code, tier, cycle, price in DEMO_PLANS:
        bus.handle(c.DefinePlan(tenant_id, f"{prefix}-plan-{code}", f"{prefix}-{code}", tier,
                                cycle, Money.of(price, cur)))  # fmt: skip
    made: dict[str, str] = {}
    for state, steps in _steps(tenant_id, prefix, at, rules).items():
        sid = f"{prefix}-{state}"
        for cmd in steps(sid, f"{prefix}-{state}-"):
            _handle(bus, cmd)
        made[state] = sid
    return made


def _handle(bus: MessageBus, cmd: c.Command) -> Receipt:
    return bus.handle(cmd)


def _steps(t: str, prefix: str, at: datetime, rules: LifecycleRules) -> dict[str, Step]:
    basic, pro, later = f"{prefix}-basic", f"{prefix}-pro", at + timedelta(seconds=1)
    price = Money.of("100.00", rules.currency)

    def sub(sid: str, key: str, plan: str = basic) -> c.Command:
        return c.Subscribe(t, key + "s", sid, sid, plan, at, actor_id="seed")

    def paid(sid: str, key: str) -> list[c.Command]:
        return [sub(sid, key), c.RecordRenewalPayment(t, key + "p", sid, f"{key}-pay", price,
                                                      Method.card, "demo", at, "seed")]  # fmt: skip

    def failed(sid: str, key: str) -> list[c.Command]:
        return [sub(sid, key), c.RecordPaymentFailure(t, key + "f", sid, later, "demo", "seed")]

    steps: dict[str, Step] = {
        "active": paid,
        "past_due": failed,
        "suspended": lambda s, k: [*failed(s, k), c.SuspendSubscription(t, k + "x", s, later)],
        "cancel_pending": lambda s, k: [*paid(s, k), c.CancelSubscription(t, k + "c", s, later)],
        "downgrade_pending": lambda s, k: [
            sub(s, k, pro), c.DowngradePlan(t, k + "d", s, basic, later, "seed")],
    }  # fmt: skip
    if rules.trial is not None:
        steps["trialing"] = lambda s, k: [c.StartTrial(t, k + "t", s, s, basic, 14, at)]
        steps["cancelled"] = lambda s, k: [
            c.StartTrial(t, k + "t", s, s, basic, 14, at),
            c.CancelSubscription(t, k + "c", s, later),
        ]
    elif rules.cancellation.early_termination_charge is not None:
        immediate = CancelMode.immediate
        steps["cancelled"] = lambda s, k: [
            *paid(s, k),
            c.CancelSubscription(t, k + "c", s, later, immediate),
        ]
    if rules.termination is not None:
        why = "demo: acceptable-use breach"
        steps["terminated"] = lambda s, k: [
            sub(s, k),
            c.TerminateSubscription(t, k + "v", s, why, later),
        ]
    return steps
