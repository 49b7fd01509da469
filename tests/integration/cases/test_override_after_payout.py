"""An override after money moved compensates the difference, on SQLite and PostgreSQL: a
further payout through the outbox (paid once, however often the worker runs) or a clawback
the customer owes, each with its own idempotent ledger entries; the original decision, who
overrode it and why are kept, and the ledger stays balanced."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from case_walk import received
from casefakes import (
    Kind,
    Method,
    Reason,
    Subject,
    case_of,
    charge_and_pay,
    days,
    kinds,
    open_case,
    policy_tenant,
    tenant_balance,
    usd,
    zar,
)
from refundable.adapters.db.resource_queries import SqlResourceQueries
from refundable.bootstrap import App
from refundable.core.errors import Conflict, NotFound
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.ledger.entries import EntryKind
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c

T0 = datetime(2026, 2, 10, 9, tzinfo=UTC)
FACTS = {"charge": {"kind": "subscription", "billing": "monthly"}}
SUB = {"charge": {"kind": "subscription", "billing": "annual"}}
INFO = {"explanation": "charged twice", "account": "c1@acme.test Acme", "email": "c1@acme.test"}


def _balanced(app: App, tenant: str) -> None:
    for e in app.queries.journal(tenant):
        for cur in {line.commodity for line in e.lines}:
            assert sum(x.amount for x in e.lines if x.commodity == cur) == 0, e.entry_id


def _decision_body(app: App, tenant: str, decision_id: str) -> dict[str, object]:
    with app.bus.uow_factory() as uow:
        record = uow.repositories(tenant).decisions.get(decision_id)
    assert record is not None
    body: dict[str, object] = json.loads(record.body)
    return body


def test_kelbix_override_after_payout_pays_the_difference_once(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "kelbix")
    ch, p = charge_and_pay(app, tenant, "B1", zar("24000.00"), T0, Method.eft)
    facts = {"charge": {"kind": "project", "initial_purchase": True}}
    case_id, _ = open_case(app, tenant, "B1", Subject.charge, ch, Reason.project_cancellation,
                           T0 + days(5), facts=facts, payment_id=p)  # fmt: skip
    app.bus.handle(c.AcceptSettlement(tenant, "acc", case_id, T0 + days(6), "customer:B1"))
    with received(app, tenant, tmp_path, T0) as got:
        got.drain(T0 + days(6))
        first = case_of(app, tenant, case_id)
        assert first.state.value == "paid"
        override = c.OverrideDecision(tenant, "ov1", case_id, Outcome.approve,
                                      "retained fee too high for a 2-day project", T0 + days(9),
                                      "agent:ann", amount=zar("20000.00"))  # fmt: skip
        r = app.bus.handle(override)
        assert r.details["state"] == "paying"
        assert app.bus.handle(override).details == r.details  # a retry replays, moves nothing
        now = got.drain(T0 + days(9))
        assert now.types == ["case.adjusted", "case.payout_requested", "case.paid"]
        assert now.hooks[0]["data"]["data"]["difference"] == "ZAR 8,000.00"
        assert sorted(now.subjects) == sorted([
            f"Your refund request {case_id} was reviewed again",
            f"Your refund {case_id} was paid"])  # fmt: skip
        assert sorted(r["amount"] for r in got.gateway.refunds()) == ["12000.00", "8000.00"]
        got.drain(T0 + days(12))  # a later pass pays nothing again
        assert len(got.gateway.refunds()) == 2
    case = case_of(app, tenant, case_id)
    assert case.state.value == "paid" and case.original_decision_id == first.decision_id
    assert case.decision_id is not None
    kept = _decision_body(app, tenant, case.decision_id)["override"]
    assert isinstance(kept, dict)
    assert (kept["by"], kept["original"], kept["difference_minor"]) == (
        "agent:ann", first.decision_id, 800000)  # fmt: skip
    assert str(app.queries.remaining_refundable(tenant, p)) == "ZAR 4,000.00"
    assert tenant_balance(app, tenant, Kind.fee_income, "ZAR") == Decimal("12000.00")
    assert kinds(app, tenant, case_id)[-3:] == ["adjusted", "payout_requested", "paid"]
    _balanced(app, tenant)


def test_conek_override_down_after_payout_claws_back_once(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("499.00"), T0)
    case_id, _ = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge,
                           T0, information=INFO, facts=FACTS, payment_id=p)  # fmt: skip
    with received(app, tenant, tmp_path, T0) as got:
        got.drain(T0 + days(1))
        assert case_of(app, tenant, case_id).state.value == "paid"
        owed = chart.receivable("C1", "ZAR")
        before = app.queries.balance(tenant, owed)
        down = c.OverrideDecision(tenant, "ov1", case_id, Outcome.approve,
                                  "only 300 was charged twice", T0 + days(3), "agent:ann",
                                  amount=zar("300.00"))  # fmt: skip
        first = app.bus.handle(down)
        assert first.details["state"] == "paid" and len(first.entry_ids) == 1
        replay = app.bus.handle(down)  # a retry replays the receipt: no second clawback
        assert replay.replayed and replay.entry_ids == first.entry_ids
        assert app.queries.balance(tenant, owed) == before + Decimal("199.00")
        assert tenant_balance(app, tenant, Kind.refunds, "ZAR") == Decimal("300.00")
        now = got.drain(T0 + days(3))
        assert now.types == ["case.adjusted", "case.money"]
        assert "to be repaid: ZAR 199.00" in now.text("reviewed again")
        # the same decision again moves nothing more: the difference is now zero
        again = c.OverrideDecision(tenant, "ov2", case_id, Outcome.approve, "confirming",
                                   T0 + days(4), "agent:bob", amount=zar("300.00"))  # fmt: skip
        assert app.bus.handle(again).entry_ids == ()
        assert app.queries.balance(tenant, owed) == before + Decimal("199.00")
        assert len(got.gateway.refunds()) == 1
    assert kinds(app, tenant, case_id)[-3:] == ["adjusted", "money", "adjusted"]
    _balanced(app, tenant)
    _clawbacks_are_no_charges(app, tenant, case_id, ch, first.entry_ids)


def _clawbacks_are_no_charges(
    app: App, tenant: str, case_id: str, charge_id: str, clawed: tuple[str, ...]
) -> None:
    """A clawback is owed like a charge but is none of the business's charges (ADR 0076): the
    charges list and lookup show only the charge recorded, and a case about a "charge" named
    after the case is refused, where it found the clawback before."""
    (entry,) = [e for e in app.queries.journal(tenant) if e.entry_id in clawed]
    assert entry.kind is EntryKind.clawback and entry.ref == case_id
    charges = SqlResourceQueries(app.db)
    assert [x.charge_id for x in charges.charges(tenant, 100, None).items] == [charge_id]
    assert charges.charge(tenant, case_id) is None
    with pytest.raises(NotFound, match="no charge"):
        open_case(app, tenant, "C1", Subject.charge, case_id, Reason.duplicate_charge,
                  T0 + days(5), information=INFO, facts=FACTS)  # fmt: skip


def test_an_override_after_money_moved_keeps_the_remedy_and_waits_for_a_payout(
    app: App, tmp_path: Path
) -> None:
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("499.00"), T0)
    case_id, r = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge,
                           T0, information=INFO, facts=FACTS, payment_id=p)  # fmt: skip
    assert r.details["state"] == "paying"
    with pytest.raises(Conflict, match="cannot be overridden now"):  # in flight: settles first
        app.bus.handle(c.OverrideDecision(tenant, "o0", case_id, Outcome.deny, "no", T0,
                                          "agent:ann"))  # fmt: skip
    with received(app, tenant, tmp_path, T0) as got:
        got.drain(T0 + days(1))
    with pytest.raises(Conflict, match="not the remedy"):
        app.bus.handle(c.OverrideDecision(tenant, "o1", case_id, Outcome.approve, "credit",
                                          T0 + days(2), "agent:ann",
                                          remedy=Remedy.account_credit))  # fmt: skip
    with pytest.raises(Conflict, match="can still refund"):
        app.bus.handle(
            c.OverrideDecision(
                tenant,
                "o2",
                case_id,
                Outcome.approve,
                "more",
                T0 + days(2),
                "agent:ann",
                amount=zar("600.00"),
            )
        )
    assert kinds(app, tenant, case_id)[-1] == "paid"


def test_an_account_credit_is_topped_up_or_taken_back_by_the_difference(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    case_id, _ = open_case(app, tenant, "K1", Subject.charge, ch, Reason.change_of_mind,
                           T0 + days(4), facts=SUB, payment_id=p)  # fmt: skip
    r = app.bus.handle(c.OverrideDecision(tenant, "o1", case_id, Outcome.approve, "goodwill",
                                          T0 + days(5), "agent:bo", remedy=Remedy.account_credit,
                                          amount=usd("300.00")))  # fmt: skip
    assert r.details["state"] == "credited"
    credit = chart.account_credit("K1", "USD")
    for key, amount, expected in (("o2", "450.00", "450"), ("o3", "100.00", "100")):
        r = app.bus.handle(
            c.OverrideDecision(
                tenant,
                key,
                case_id,
                Outcome.approve,
                "again",
                T0 + days(6),
                "agent:bo",
                amount=usd(amount),
            )
        )
        assert r.details["state"] == "credited" and len(r.entry_ids) == 1
        assert app.queries.balance(tenant, credit) == Decimal(expected)
    r = app.bus.handle(c.OverrideDecision(tenant, "o4", case_id, Outcome.deny, "fraud found",
                                          T0 + days(7), "agent:cy"))  # fmt: skip
    assert app.queries.balance(tenant, credit) == 0
    assert tenant_balance(app, tenant, Kind.credit_grants, "USD") == 0
    assert kinds(app, tenant, case_id).count("adjusted") == 3
    _balanced(app, tenant)


def test_a_wallet_credit_is_taken_back_or_topped_up_by_the_difference(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    case_id, _ = open_case(app, tenant, "K1", Subject.charge, ch, Reason.change_of_mind,
                           T0 + days(4), facts=SUB, payment_id=p)  # fmt: skip
    r = app.bus.handle(c.OverrideDecision(tenant, "o1", case_id, Outcome.approve, "goodwill",
                                          T0 + days(5), "agent:bo", remedy=Remedy.wallet_credit,
                                          amount=usd("300.00")))  # fmt: skip
    assert r.details["state"] == "credited"
    wallet = chart.wallet("K1", "USD")
    assert app.queries.balance(tenant, wallet) == Decimal("300.00")
    app.bus.handle(c.OverrideDecision(tenant, "o2", case_id, Outcome.approve, "too generous",
                                      T0 + days(6), "agent:bo", amount=usd("100.00")))  # fmt: skip
    assert app.queries.balance(tenant, wallet) == Decimal("100.00")
    assert tenant_balance(app, tenant, Kind.refunds, "USD") == Decimal("100.00")
    app.bus.handle(c.OverrideDecision(tenant, "o3", case_id, Outcome.approve, "agreed at 250",
                                      T0 + days(7), "agent:bo", amount=usd("250.00")))  # fmt: skip
    assert app.queries.balance(tenant, wallet) == Decimal("250.00")
    _balanced(app, tenant)
