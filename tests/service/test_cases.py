"""Refund cases on the in-memory store: intake refusals, the agent's judgement with the
clause's own factors, overrides that keep the original, withdrawal, and nothing written when
a command is refused."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from casefakes import (
    Kind,
    Reason,
    Subject,
    case_of,
    charge_and_pay,
    days,
    kinds,
    open_case,
    outbox_for,
    policy_tenant,
    tenant_balance,
    usd,
    zar,
)
from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.core.errors import Conflict, InputError, NotFound
from refundable.core.time import UTC, FixedClock
from refundable.ledger import accounts as chart
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c

T0 = datetime(2026, 8, 1, 8, tzinfo=UTC)
SUB = {"charge": {"kind": "subscription", "billing": "annual"}}


@pytest.fixture
def app() -> App:
    return bootstrap(MEMORY_URL, FixedClock(T0))


def test_a_second_open_case_for_the_same_charge_and_reason_points_to_the_first(app: App) -> None:
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    first, _ = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge, T0,
                         payment_id=p)  # fmt: skip
    with pytest.raises(Conflict, match=f"case {first} is already open") as err:
        open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge, T0)
    assert err.value.allowed is not None and first in err.value.allowed
    # another reason is another case
    other, _ = open_case(app, tenant, "C1", Subject.charge, ch, Reason.billing_error, T0)
    assert other != first


def test_missing_information_is_listed_with_its_clauses(app: App) -> None:
    tenant = policy_tenant(app, "myprotektor")
    ch, _ = charge_and_pay(app, tenant, "M1", zar("100.00"), T0)
    case_id, r = open_case(app, tenant, "M1", Subject.charge, ch, Reason.billing_error, T0,
                           information={"explanation": "double"})  # fmt: skip
    assert r.details["missing"] == "account,evidence"  # the stored charge answers the invoice
    assert case_of(app, tenant, case_id).missing == ("account", "evidence")
    [mail] = [m for m in outbox_for(app, tenant, case_id, "email") if "needs more" in m["subject"]]
    assert "clause 7.1" in mail["text"] and "screenshots" in mail["text"]


def test_a_charge_of_another_customer_or_unknown_is_refused_and_nothing_is_written(
    app: App,
) -> None:
    tenant = policy_tenant(app, "conek")
    ch, _ = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    with pytest.raises(NotFound, match=f"no charge '{ch}' of C2;"):  # the owner is not named
        open_case(app, tenant, "C2", Subject.charge, ch, Reason.duplicate_charge, T0)
    with pytest.raises(NotFound, match="no charge"):
        open_case(app, tenant, "C1", Subject.charge, "nope", Reason.duplicate_charge, T0)
    assert app.cases_read is not None and app.cases_read.cases(tenant) == []
    with pytest.raises(InputError, match=r"charge\.amount is 100\.00 in the store"):
        open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge, T0,
                  facts={"charge": {"amount": "999.00"}})  # fmt: skip


def test_kero_discretion_waits_for_an_agent_who_weighs_the_clauses_factors(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    case_id, r = open_case(app, tenant, "K1", Subject.charge, ch, Reason.change_of_mind,
                           T0 + days(4), facts=SUB, payment_id=p)  # fmt: skip
    assert r.details["state"] == "in_review"
    with pytest.raises(Conflict, match="clause's own factors") as err:
        app.bus.handle(c.JudgeCase(tenant, "j0", case_id, Outcome.approve, T0 + days(5),
                                   "agent:ann", factors=("mood",)))  # fmt: skip
    factor = err.value.allowed.split("; ")[0] if err.value.allowed else ""
    r = app.bus.handle(c.JudgeCase(tenant, "j1", case_id, Outcome.approve, T0 + days(5),
                                   "agent:ann", factors=(factor,), note="little use"))  # fmt: skip
    assert r.details["state"] == "paying"
    [payout] = outbox_for(app, tenant, case_id, "payout")
    assert payout["amount"] == "1100.00"  # 1200 less the 100.00 refund fee
    assert tenant_balance(app, tenant, Kind.fee_income, "USD") == 100
    [judged] = [e for e in app.cases_read.events(tenant, case_id) if e.kind.value == "judged"]  # type: ignore[union-attr]
    assert judged.actor == "agent:ann" and judged.data["factors"] == factor


def test_an_override_needs_a_reason_and_keeps_the_original_and_who(app: App) -> None:
    tenant = policy_tenant(app, "kero")
    ch, p = charge_and_pay(app, tenant, "K1", usd("1200.00"), T0)
    case_id, _ = open_case(app, tenant, "K1", Subject.charge, ch, Reason.change_of_mind,
                           T0 + days(4), facts=SUB, payment_id=p)  # fmt: skip
    with pytest.raises(InputError, match="reason"):
        c.OverrideDecision(tenant, "o", case_id, Outcome.approve, " ", T0, "agent:bo")
    original = case_of(app, tenant, case_id).decision_id
    r = app.bus.handle(c.OverrideDecision(tenant, "o1", case_id, Outcome.approve, "goodwill",
                                          T0 + days(5), "agent:bo", remedy=Remedy.account_credit,
                                          amount=usd("300.00")))  # fmt: skip
    assert r.details["state"] == "credited"
    case = case_of(app, tenant, case_id)
    assert case.original_decision_id == original and case.decision_id != original
    assert app.queries.balance(tenant, chart.account_credit("K1", "USD")) == 300
    [ev] = [e for e in app.cases_read.events(tenant, case_id) if e.kind.value == "overridden"]  # type: ignore[union-attr]
    assert (ev.actor, ev.data["reason"], ev.data["original"]) == ("agent:bo", "goodwill", original)
    # the stored decision says who overrode which decision and why
    with app.bus.uow_factory() as uow:
        stored = uow.repositories(tenant).decisions.get(case.decision_id or "")
    assert stored is not None
    assert json.loads(stored.body)["override"]["by"] == "agent:bo"


def test_a_case_can_be_withdrawn_while_open_but_not_once_paid_out(app: App) -> None:
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    case_id, _ = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge, T0)
    r = app.bus.handle(c.WithdrawCase(tenant, "w", case_id, T0 + days(1), "customer:C1",
                                      reason="sorted out"))  # fmt: skip
    assert r.details["state"] == "withdrawn"
    assert kinds(app, tenant, case_id)[-1] == "withdrawn"
    # once closed, the same charge and reason may be asked about again
    again, _ = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge, T0,
                         payment_id=p)  # fmt: skip
    assert again != case_id
