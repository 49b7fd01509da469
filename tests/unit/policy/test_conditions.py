"""Conditions as a policy writes them, checked through the engine: which rule applies."""

from __future__ import annotations

import pytest

from refundable.core.errors import PolicyInvalid
from refundable.policy.engine import decide

from .support import charge, compile_rules, refund, request, rule


def applies(when, **fields) -> bool:
    policy = compile_rules([rule("r", "2", when, refund(None))])
    return decide(policy, request(**fields)).rule == "r"


def problems(when) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        compile_rules([rule("r", "2", when, refund(None))])
    return [p.message for p in caught.value.problems]


AT = "2026-03-02T10:00:00+02:00"


@pytest.mark.parametrize(
    ("requested_at", "inside"),
    [
        ("2026-03-03T10:00:00+02:00", True),  # exactly 24 hours
        ("2026-03-03T10:00:01+02:00", False),
        ("2026-03-02T09:59:59+02:00", False),  # before the charge
    ],
)
def test_within_hours_is_elapsed_time(requested_at, inside):
    when = {"within": {"hours": 24, "of": "charge.charged_at"}}
    assert applies(when, charge=charge(charged_at=AT), requested_at=requested_at) is inside


@pytest.mark.parametrize(
    ("requested_at", "inside"),
    [
        ("2026-04-09T16:59:00+02:00", True),  # Thu 2 Apr + 3 business days = Thu 9 Apr
        ("2026-04-09T17:30:00+02:00", False),  # after close counts as Fri 10 Apr
    ],
)
def test_within_business_days_skips_the_easter_holidays(requested_at, inside):
    when = {"within": {"business_days": 3, "of": "charge.charged_at"}}
    got = applies(
        when, charge=charge(charged_at="2026-04-02T10:00:00+02:00"), requested_at=requested_at
    )
    assert got is inside


@pytest.mark.parametrize(
    ("resolved_at", "exceeds"),
    [("2026-03-05T10:00:00+02:00", False), ("2026-03-05T10:01:00+02:00", True)],
)
def test_exceeds_is_strictly_more_than(resolved_at, exceeds):
    when = {"exceeds": {"hours": 72, "from": "incident.started_at", "to": "incident.ended_at"}}
    incident = {"started_at": AT, "resolved_at": resolved_at, "cause": "internal"}
    assert applies(when, reason="service_outage", incident=incident) is exceeds


def test_exceeds_with_a_parameter():
    policy = compile_rules(
        [
            rule(
                "r",
                "2",
                {
                    "exceeds": {"hours": {"param": "outage_hours"}, "from": "incident.started_at",
                                "to": "incident.ended_at"}
                },
                refund(None),
            )
        ],
        parameters={"outage_hours": {"value": 2, "clause": "3", "reading": "not stated"}},
    )  # fmt: skip
    three_hours = {
        "started_at": AT,
        "resolved_at": "2026-03-02T13:00:00+02:00",
        "cause": "internal",
    }
    two_hours = {**three_hours, "resolved_at": "2026-03-02T12:00:00+02:00"}
    assert decide(policy, request(incident=three_hours)).rule == "r"
    assert decide(policy, request(incident=two_hours)).rule is None


@pytest.mark.parametrize(("amount", "matches"), [("1000.01", True), ("1000.00", False)])
def test_amount_comparison_uses_decimals(amount, matches):
    assert applies({"charge.amount": {"gt": "1000"}}, charge=charge(amount)) is matches


def test_present_and_absent():
    assert applies({"incident.cause": {"present": False}})
    assert not applies({"incident.cause": {"present": True}})


def test_not_any_all():
    when = {
        "any": [
            {"reason": "cooling_off"},
            {"all": [{"charge.kind": "subscription"}, {"not": {"charge.auto": True}}]},
        ]
    }
    assert applies(when, charge=charge())
    assert not applies(when, charge=charge(auto=True))
    assert applies(when, reason="cooling_off", charge=charge(auto=True))


def test_not_in():
    when = {"charge.kind": {"not_in": ["wallet_topup", "usage"]}}
    assert applies(when, charge=charge())
    assert not applies(when, charge=charge(kind="usage"))


def test_absent_parent_makes_a_fact_absent_not_an_error():
    assert not applies({"charge.kind": "subscription"})
    assert not applies({"charge.amount": {"gt": "0"}})


def test_ordering_a_text_fact_is_a_problem():
    assert problems({"charge.payment_method": {"lt": "b"}}) == [
        "charge.payment_method is not a number; lt needs one"
    ]


def test_unknown_operator_is_a_problem():
    assert problems({"reason": {"equals": "cooling_off"}}) == ["reason: expected one operator"]


def test_within_of_something_that_is_not_an_instant_is_a_problem():
    assert problems({"within": {"days": 7, "of": "charge.amount"}}) == [
        "of: 'charge.amount' is not an instant of the request"
    ]


def test_exceeds_in_business_days_is_a_problem():
    assert problems(
        {"exceeds": {"business_days": 2, "from": "charge.charged_at", "to": "requested_at"}}
    ) == ["exceeds needs exactly one length"]


def test_boolean_fact_needs_a_boolean():
    assert problems({"charge.auto": "yes"}) == ["charge.auto is true or false, not 'yes'"]


def test_empty_any_is_a_problem():
    assert problems({"any": []}) == ["any takes a non-empty list of conditions"]
