"""Demo refund cases: one in each state, and one about to breach its deadline.

For a fresh install, the console and the API's examples: on top of the demo tenants
(``seed.seed_demo_tenants``), stored charges and payments and cases walked, through the bus
like any other, to awaiting_information, in_review, awaiting_acceptance, paying, paid,
credited, denied, withdrawn, appealed, escalated and mediation. ``demo-breaching`` was
received so that its investigation deadline falls just after ``now`` (about to breach: the
first row of the queue report).
Idempotent: every key derives from the case, so running it again replays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from refundable.cases.clocks import business_days_before
from refundable.cases.model import Subject
from refundable.config import shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger.decisions import amount_for
from refundable.ledger.ids import derived_id
from refundable.policy.document import Outcome, Remedy
from refundable.policy.facts import Reason
from refundable.policy.loader import load_policy_file
from refundable.service import commands as c
from refundable.service.commands.cases import CaseStep
from refundable.service.common import Detail
from refundable.service.ports import RefundStatus, UnitOfWork

_SUB = {"kind": "subscription", "billing": "monthly"}
_MP_INFO = {"account": "ops@example.test Example", "explanation": "see logs", "evidence": "log"}


class Bus(Protocol):
    def handle(self, command: c.Command) -> Any: ...
    def uow_factory(self) -> UnitOfWork: ...


def _stored(bus: Bus, tenant: str, cid: str, amount: Money, at: datetime) -> tuple[str, str]:
    ch, p = f"ch-{cid}", f"p-{cid}"
    bus.handle(c.RecordCharge(tenant, f"seed-{ch}", ch, cid, amount, at))
    bus.handle(c.RecordPayment(tenant, f"seed-{p}", p, cid, amount, Method.card, "stripe", at))
    return ch, p


def _open(
    bus: Bus, tenant: str, case_id: str, reason: Reason, at: datetime, amount: Money,
    info: Mapping[str, str], facts: Mapping[str, Any],
) -> None:  # fmt: skip
    ch, p = _stored(bus, tenant, f"{case_id}-c", amount, at - timedelta(days=1))
    bus.handle(c.OpenCase(tenant, f"seed-{case_id}", case_id, f"{case_id}-c", Subject.charge, ch,
                          reason, at, "customer:demo", dict(info), dict(facts), p))  # fmt: skip


def _then(bus: Bus, tenant: str, case_id: str, at: datetime, *steps: type[CaseStep]) -> None:
    for n, cls in enumerate(steps):
        bus.handle(cls(tenant, f"seed-{case_id}-{n}", case_id, at, "agent:demo", "demo"))


def _denied_then(
    bus: Bus, case_id: str, deny: Callable[[datetime], None], chain: tuple[type[CaseStep], ...]
) -> Callable[[datetime], None]:
    def run(at: datetime) -> None:
        deny(at)
        _then(bus, "myprotektor", case_id, at, *chain)

    return run


def _settle_payout(bus: Bus, tenant: str, case_id: str, decision_id: str, at: datetime) -> None:
    """Pay an accepted case the way the payout worker does: the payout its outbox message
    asks for (the same message, payout and business keys), then the gateway's "succeeded",
    which posts the refund and moves the case to paid. The message, when the worker claims
    it, finds its payout settled and is done. (Paying with ``PayRefund`` beside it left the
    message to ask for a second refund of the same decision: a dead letter on every fresh
    demo.)"""
    with bus.uow_factory() as uow:
        record = uow.repositories(tenant).decisions.get(decision_id)
    assert record is not None  # the settlement just accepted it
    amount = amount_for(record, Remedy.refund, record.customer_id, "payout")
    message_id = derived_id("payout", case_id, decision_id)
    payout_id = derived_id("po", case_id)
    bus.handle(c.RequestPayout(tenant, derived_id("payreq", message_id), payout_id, message_id,
                               case_id, f"{case_id}-c", f"p-{case_id}-c", decision_id, amount,
                               "sandbox", at))  # fmt: skip
    bus.handle(c.RecordGatewayRefund(tenant, f"seed-{case_id}-gw", payout_id,
                                     f"seed-{case_id}", RefundStatus.succeeded, at))  # fmt: skip


def _about_to_breach(now: datetime) -> float:
    """Days before ``now`` to receive a MyProtektor case whose investigation (7 business
    days) ends at the close of the next business day: inside its warning, not yet missed."""
    cal = load_policy_file(shipped_policies_dir() / "myprotektor.yaml").calendar
    today = cal.local(now).date()
    received = datetime.combine(business_days_before(cal, today, 6), time(9), tzinfo=cal.zone)
    return (now - received).total_seconds() / 86400


def seed_demo_cases(bus: Bus, now: datetime) -> list[str]:
    """Cases in every state on the demo tenants (conek, kelbix, myprotektor); their ids."""
    zar = Money.of
    mp, sub = "myprotektor", {"charge": {**_SUB, "initial_purchase": True}}
    made: list[str] = []

    def case(tenant: str, case_id: str, reason: Reason, days_ago: float, amount: str,
             info: Mapping[str, str], facts: Mapping[str, Any],
             then: Callable[[datetime], None] | None = None) -> None:  # fmt: skip
        at = now - timedelta(days=days_ago)
        _open(bus, tenant, case_id, reason, at, zar(amount, "ZAR"), info, facts)
        if then is not None:
            then(at + timedelta(hours=1))
        made.append(case_id)

    def judge(case_id: str, outcome: Outcome) -> Callable[[datetime], None]:
        def run(at: datetime) -> None:
            bus.handle(c.JudgeCase(mp, f"seed-{case_id}-j", case_id, outcome, at, "agent:demo",
                                   note="demo"))  # fmt: skip

        return run

    case("conek", "demo-awaiting", Reason.duplicate_charge, 1, "499.00", {}, {"charge": _SUB})
    case(mp, "demo-breaching", Reason.change_of_mind, _about_to_breach(now), "1200.00",
         _MP_INFO, sub)  # fmt: skip
    case(mp, "demo-review", Reason.change_of_mind, 0.2, "900.00", _MP_INFO, sub)
    case(mp, "demo-paying", Reason.change_of_mind, 3, "700.00", _MP_INFO, sub,
         judge("demo-paying", Outcome.approve))  # fmt: skip
    case(mp, "demo-denied", Reason.change_of_mind, 3, "600.00", _MP_INFO, sub,
         judge("demo-denied", Outcome.deny))  # fmt: skip
    for state, steps in (("appealed", 1), ("escalated", 2), ("mediation", 3)):
        cid, chain = f"demo-{state}", (c.AppealCase, c.EscalateCase, c.EscalateCase)[:steps]
        then = _denied_then(bus, cid, judge(cid, Outcome.deny), chain)
        case(mp, cid, Reason.change_of_mind, 5, "500.00", _MP_INFO, sub, then)
    case("conek", "demo-withdrawn", Reason.billing_error, 2, "300.00", {}, {"charge": _SUB},
         lambda at: _then(bus, "conek", "demo-withdrawn", at, c.WithdrawCase))  # fmt: skip
    project = {"charge": {"kind": "project", "initial_purchase": True}}
    case("kelbix", "demo-acceptance", Reason.project_cancellation, 2, "24000.00", {}, project)

    def paid(at: datetime) -> None:
        accepted = bus.handle(c.AcceptSettlement("kelbix", "seed-demo-paid-a", "demo-paid", at,
                                                 "customer:demo"))  # fmt: skip
        _settle_payout(bus, "kelbix", "demo-paid", accepted.details[Detail.decision_id], at)

    case("kelbix", "demo-paid", Reason.project_cancellation, 4, "12000.00", {}, project, paid)
    case(mp, "demo-credited", Reason.change_of_mind, 3, "400.00", _MP_INFO, sub,
         lambda at: bus.handle(c.OverrideDecision(
             mp, "seed-demo-credited-o", "demo-credited", Outcome.approve, "goodwill credit",
             at, "agent:demo", Remedy.account_credit)))  # fmt: skip
    return made
