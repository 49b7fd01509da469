"""A policy for a Friday-Saturday country counts its promises over that weekend; the same
policy in South Africa keeps Saturday-Sunday."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from refundable.policy.engine import decide
from refundable.policy.explain import describe_policy

from .support import charge, compile_rules, refund, request, rule

RIYADH = ZoneInfo("Asia/Riyadh")
SUNDAY = 6
WHEN = {"reason": "duplicate_charge"}

SAUDI = {
    "timezone": "Asia/Riyadh",
    "calendar": {"country": "SA", "business_hours": {"opens": "09:00", "closes": "17:00"}},
    "process": {"review": {"business_days": 2, "clause": "8"}},
}


def test_a_saudi_policy_counts_its_promise_over_the_friday_saturday_weekend():
    policy = compile_rules([rule("r", "2", WHEN, refund())], **SAUDI)
    # Tue 9 Jun after close -> counts from Wed 10; business days: Thu 11, (Fri, Sat), Sun 14.
    d = decide(policy, request(charge=charge(), requested_at="2026-06-09T18:00:00+03:00"))
    assert d.decide_by is not None
    assert d.decide_by.at == datetime(2026, 6, 14, 17, tzinfo=RIYADH)
    assert d.decide_by.at.weekday() == SUNDAY


def test_the_same_policy_in_south_africa_keeps_the_saturday_sunday_weekend():
    za = {**SAUDI, "timezone": "Africa/Johannesburg"}
    za["calendar"] = {"country": "ZA", "business_hours": {"opens": "09:00", "closes": "17:00"}}
    policy = compile_rules([rule("r", "2", WHEN, refund())], **za)
    d = decide(policy, request(charge=charge(), requested_at="2026-06-09T18:00:00+02:00"))
    assert d.decide_by is not None
    # Wed 10 counts; Thu 11, Fri 12: a Friday is a business day in South Africa.
    assert d.decide_by.at == datetime(2026, 6, 12, 17, tzinfo=ZoneInfo("Africa/Johannesburg"))


def test_explain_names_the_jurisdictions_working_week():
    policy = compile_rules([rule("r", "2", WHEN, refund())], **SAUDI)
    assert "Business days: Sunday-Thursday 09:00-17:00" in describe_policy(policy)
