"""What a case still lacks after an answer is asked for, never a crash, on SQLite and
PostgreSQL: a charge given in part (its date, not what it was for or its amount) leaves
the case waiting for the rest, named in plain words, as intake asks for anything else."""

from __future__ import annotations

from datetime import datetime

import pytest

from casefakes import Reason, Subject, case_of, events_of, open_case, policy_tenant
from refundable.bootstrap import App
from refundable.core.errors import InputError
from refundable.core.time import UTC
from refundable.service import commands as c

T0 = datetime(2026, 11, 30, 8, tzinfo=UTC)
INFO = {"account": "c1@example.test C1", "explanation": "billed twice", "transaction": "Nov"}


def _asking_for_the_charge_date(app: App) -> tuple[str, str]:
    tenant = policy_tenant(app, "conek")
    case_id, r = open_case(app, tenant, "C1", Subject.account, "C1", Reason.billing_error, T0,
                           information=INFO)  # fmt: skip
    assert r.details["missing"] == "charge.charged_at"
    return tenant, case_id


def _asks(app: App, tenant: str, case_id: str) -> str:
    asked = [e for e in events_of(app, tenant, case_id) if e.kind.value == "information_requested"]
    return asked[-1].data["asks"]


def test_a_charge_given_in_part_asks_for_the_rest_in_plain_words(app: App) -> None:
    tenant, case_id = _asking_for_the_charge_date(app)
    dated = {"charge": {"charged_at": "2026-11-29T10:00:00+02:00"}}
    r = app.bus.handle(c.ProvideInformation(tenant, "i1", case_id, T0, "customer:C1", facts=dated))
    assert r.details["state"] == "awaiting_information"
    assert case_of(app, tenant, case_id).missing == ("charge.kind", "charge.amount",
                                                     "charge.currency")  # fmt: skip
    assert _asks(app, tenant, case_id) == (
        "what the charge paid for; the amount charged; the currency of the charge"
    )
    kind = {"charge": {"kind": "subscription"}}
    r = app.bus.handle(c.ProvideInformation(tenant, "i2", case_id, T0, "customer:C1", facts=kind))
    assert r.details["state"] == "awaiting_information"
    assert case_of(app, tenant, case_id).missing == ("charge.amount", "charge.currency")
    rest = {"charge": {"amount": "499.00", "currency": "ZAR"}}
    r = app.bus.handle(c.ProvideInformation(tenant, "i3", case_id, T0, "customer:C1", facts=rest))
    assert r.details["state"] not in ("awaiting_information", "received")
    assert case_of(app, tenant, case_id).missing == ()


def test_what_the_charge_paid_for_answered_in_words_is_read_as_the_fact(app: App) -> None:
    tenant, case_id = _asking_for_the_charge_date(app)
    dated = {"charge": {"charged_at": "2026-11-29T10:00:00+02:00", "amount": "499.00",
                        "currency": "ZAR"}}  # fmt: skip
    app.bus.handle(c.ProvideInformation(tenant, "i1", case_id, T0, "customer:C1", facts=dated))
    assert case_of(app, tenant, case_id).missing == ("charge.kind",)
    r = app.bus.handle(c.ProvideInformation(tenant, "i2", case_id, T0, "customer:C1",
                                            {"charge.kind": "subscription"}))  # fmt: skip
    assert r.details["state"] not in ("awaiting_information", "received")


def test_an_answer_that_is_not_one_of_the_allowed_values_is_refused_and_writes_nothing(
    app: App,
) -> None:
    tenant, case_id = _asking_for_the_charge_date(app)
    dated = {"charge": {"charged_at": "2026-11-29T10:00:00+02:00", "amount": "499.00",
                        "currency": "ZAR"}}  # fmt: skip
    app.bus.handle(c.ProvideInformation(tenant, "i1", case_id, T0, "customer:C1", facts=dated))
    before = case_of(app, tenant, case_id)
    with pytest.raises(InputError, match=r"charge\.kind"):
        app.bus.handle(c.ProvideInformation(tenant, "i2", case_id, T0, "customer:C1",
                                            {"charge.kind": "the monthly one"}))  # fmt: skip
    assert case_of(app, tenant, case_id).seq == before.seq
