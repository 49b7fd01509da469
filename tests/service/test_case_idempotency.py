"""Every refund-case command twice: the same payload replays the first receipt and writes
nothing more; the same key with another payload is refused (the bus owns both)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from casefakes import (
    Reason,
    Subject,
    charge_and_pay,
    days,
    events_of,
    outbox_for,
    policy_tenant,
    usd,
    zar,
)
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.errors import IdempotencyConflict
from refundable.core.time import UTC, FixedClock
from refundable.policy.document import Outcome
from refundable.service import commands as c

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def twice(app: App, tenant: str, case_id: str, cmd: c.Command, field: str, changed: Any) -> str:
    first = app.bus.handle(cmd)
    size = len(events_of(app, tenant, case_id))
    again = app.bus.handle(cmd)
    assert again == first and again.replayed
    assert len(events_of(app, tenant, case_id)) == size
    with pytest.raises(IdempotencyConflict):
        app.bus.handle(dataclasses.replace(cmd, **{field: changed}))  # type: ignore[type-var]
    assert len(events_of(app, tenant, case_id)) == size
    return first.details["state"]


@pytest.fixture
def app() -> App:
    return bootstrap(MEMORY_URL, FixedClock(T0))


def test_intake_information_judgement_payout_and_appeals_replay(app: App) -> None:
    tenant = policy_tenant(app, "myprotektor")
    ch, p = charge_and_pay(app, tenant, "M1", zar("1200.00"), T0)
    facts = {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True,
                        "period": {"start": "2026-03-02T10:00:00+02:00",
                                   "end": "2026-04-02T10:00:00+02:00"}}}  # fmt: skip
    info = {"account": "m1@corp.test", "explanation": "not for us"}
    opened = c.OpenCase(tenant, "o", "k1", "M1", Subject.charge, ch, Reason.change_of_mind,
                        T0 + days(2), "customer:M1", info, facts, p)  # fmt: skip
    assert twice(app, tenant, "k1", opened, "customer_id", "M2") == "awaiting_information"
    more = c.ProvideInformation(tenant, "i", "k1", T0 + days(3), "customer:M1",
                                {"evidence": "shot.png"})  # fmt: skip
    assert twice(app, tenant, "k1", more, "actor", "agent:x") == "in_review"
    judged = c.JudgeCase(tenant, "j", "k1", Outcome.approve, T0 + days(4), "agent:ann")
    assert twice(app, tenant, "k1", judged, "note", "other") == "paying"
    [payout] = outbox_for(app, tenant, "k1", "payout")
    app.bus.handle(c.PayRefund(tenant, "rf", "rf1", p, payout["decision_id"], T0 + days(5)))
    paid = c.RecordCasePaid(tenant, "pd", "k1", "rf1", T0 + days(5))
    assert twice(app, tenant, "k1", paid, "refund_id", "rf2") == "paid"
    for cmd, state in ((c.AppealCase, "appealed"), (c.EscalateCase, "escalated"),
                       (c.UpholdDecision, "paid")):  # fmt: skip
        step = cmd(tenant, f"s{state}", "k1", T0 + days(6), "customer:M1", "again")
        assert twice(app, tenant, "k1", step, "reason", "changed") == state


def test_override_withdraw_and_acceptance_replay(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    facts = {"charge": {"kind": "subscription", "billing": "annual"}}
    opened = c.OpenCase(tenant, "o", "k1", "K1", Subject.charge, ch, Reason.change_of_mind,
                        T0 + days(3), "customer:K1", {}, facts, p)  # fmt: skip
    app.bus.handle(opened)
    over = c.OverrideDecision(tenant, "ov", "k1", Outcome.deny, "no use shown", T0 + days(4),
                              "agent:bo")  # fmt: skip
    assert twice(app, tenant, "k1", over, "reason", "other") == "denied"
    ch2, _ = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    app.bus.handle(dataclasses.replace(opened, idempotency_key="o2", case_id="k2", subject_id=ch2))
    out = c.WithdrawCase(tenant, "w", "k2", T0 + days(4), "customer:K1")
    assert twice(app, tenant, "k2", out, "actor", "agent:y") == "withdrawn"
    kelbix = policy_tenant(app, "kelbix")
    ch3, p3 = charge_and_pay(app, kelbix, "B1", zar("24000.00"), T0)
    project = {"charge": {"kind": "project", "initial_purchase": True}}
    app.bus.handle(c.OpenCase(kelbix, "o", "k3", "B1", Subject.charge, ch3,
                              Reason.project_cancellation, T0 + days(3), "customer:B1", {},
                              project, p3))  # fmt: skip
    accept = c.AcceptSettlement(kelbix, "a", "k3", T0 + days(4), "customer:B1")
    assert twice(app, kelbix, "k3", accept, "actor", "customer:B2") == "paying"


def test_a_dispute_resolution_replays(app: App) -> None:
    from refundable.ledger.holds import HoldResolution

    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    app.bus.handle(c.OpenCase(tenant, "o", "k1", "C1", Subject.charge, ch, Reason.billing_error,
                              T0, "customer:C1", {}, {}, p))  # fmt: skip
    app.bus.handle(c.RecordChargeback(tenant, "cb", "d1", p, zar("100.00"), T0 + days(1)))
    done = c.ResolveDispute(tenant, "r", "d1", HoldResolution.won, T0 + days(9), "agent:ann")
    receipt = app.bus.handle(done)
    again = app.bus.handle(done)
    assert again == receipt and again.replayed and len(receipt.entry_ids) == 1
    assert str(app.queries.remaining_refundable(tenant, p)) == "ZAR 100.00"  # counter lowered once
    with pytest.raises(IdempotencyConflict):
        app.bus.handle(dataclasses.replace(done, resolution=HoldResolution.lost))
    assert kinds_of(app, tenant, "k1").count("dispute_resolved") == 1


def kinds_of(app: App, tenant: str, case_id: str) -> list[str]:
    return [e.kind.value for e in events_of(app, tenant, case_id)]
