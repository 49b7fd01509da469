"""decide_by and pay_by: business-day promises on the ZA calendar, payment-method promises
(the later one wins), and calendar-day promises that end at the end of the local day."""

from __future__ import annotations

from datetime import datetime

import pytest

from refundable.core.errors import InputError
from refundable.policy.document import Outcome
from refundable.policy.engine import decide

from .support import charge, compile_rules, refund, request, rule

WHEN = {"reason": "duplicate_charge"}
PROCESS = {
    "review": {"business_days": 10, "clause": "8"},
    "payout": {"business_days": 10, "clause": "9"},
    "payout_by_method": {
        "eft": {"business_days": 14, "clause": "7"},
        "card": {"business_days": 5, "clause": "6"},
    },
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def decide_under(process, then=None, **fields):
    policy = compile_rules([rule("r", "2", WHEN, then or refund())], process=process)
    return decide(policy, request(**fields))


def test_decide_by_is_close_of_business_on_the_nth_business_day():
    d = decide_under(PROCESS, charge=charge(), requested_at="2026-03-02T10:00:00+02:00")
    assert d.decide_by is not None
    assert d.decide_by.at == at("2026-03-16T17:00:00+02:00")
    assert d.decide_by.clause == "8"
    assert d.to_dict()["deadlines"]["decide_by"] == "2026-03-16T17:00:00+02:00"
    assert (
        "A decision and payment are both due by 17:00 on Monday 16 March 2026 "
        "(Africa/Johannesburg), under clauses 8 and 9." in d.explanation
    )


def test_decide_by_counts_from_the_next_opening_after_hours():
    d = decide_under(PROCESS, charge=charge(), requested_at="2026-04-02T18:00:00+02:00")
    # Thu 2 Apr after close -> counts from Tue 7 Apr (Good Friday, weekend, Family Day);
    # 10 business days later: 8,9,10,13,14,15,16,17,20,21 Apr
    assert d.decide_by is not None
    assert d.decide_by.at == at("2026-04-21T17:00:00+02:00")


def test_decide_by_is_given_for_denials_too():
    policy = compile_rules([rule("r", "2", WHEN, {"outcome": "deny"})], process=PROCESS)
    d = decide(policy, request(charge=charge()))
    assert d.outcome is Outcome.deny
    assert d.decide_by is not None
    assert d.pay_by is None


def test_pay_by_counts_from_the_decision():
    d = decide_under(
        PROCESS,
        charge=charge(),
        requested_at="2026-03-02T10:00:00+02:00",
        decided_at="2026-03-10T10:00:00+02:00",
    )
    assert d.pay_by is not None
    # 10 business days after Tue 10 Mar: 11,12,13,16,17,18,19,20,23,24 Mar
    assert d.pay_by.at == at("2026-03-24T17:00:00+02:00")
    assert d.pay_by.clause == "9"


def test_pay_by_without_decided_at_counts_from_the_request():
    d = decide_under(PROCESS, charge=charge(), requested_at="2026-03-02T10:00:00+02:00")
    assert d.pay_by is not None
    assert d.pay_by.at == at("2026-03-16T17:00:00+02:00")


def test_payment_method_with_a_longer_promise_wins():
    d = decide_under(PROCESS, charge=charge(payment_method="eft"))
    assert d.pay_by is not None
    # 14 business days after Mon 2 Mar: 3..6, 9..13, 16..20 Mar -> Fri 20 Mar
    assert d.pay_by.at == at("2026-03-20T17:00:00+02:00")
    assert d.pay_by.clause == "7"
    assert d.to_dict()["deadlines"]["basis"]["pay_by"] == {
        "clause": "7",
        "promise": "payment within 14 business days of the decision",
    }


def test_payment_method_with_a_shorter_promise_does_not_shorten_the_deadline():
    d = decide_under(PROCESS, charge=charge(payment_method="card"))
    assert d.pay_by is not None
    assert (d.pay_by.at, d.pay_by.clause) == (at("2026-03-16T17:00:00+02:00"), "9")


def test_a_method_without_a_promise_of_its_own_uses_the_process_promise():
    d = decide_under(PROCESS, charge=charge(payment_method="debit_order"))
    assert d.pay_by is not None
    assert d.pay_by.clause == "9"


def test_a_payment_method_outside_the_ledgers_methods_is_refused_naming_them():
    with pytest.raises(InputError) as caught:
        request(charge=charge(payment_method="crypto"))
    text = str(caught.value)
    assert "charge.payment_method" in text and "'crypto' is not a payment method" in text
    assert "card, cash, debit_order, eft" in text


def test_rule_payout_overrides_the_process_payout():
    then = {**refund(), "payout": {"business_days": 3, "clause": "5"}}
    d = decide_under(PROCESS, then, charge=charge())
    assert d.pay_by is not None
    assert (d.pay_by.at, d.pay_by.clause) == (at("2026-03-05T17:00:00+02:00"), "5")


def test_calendar_day_promise_ends_at_the_end_of_the_local_day():
    process = {"payout": {"days": 10, "clause": "9"}}
    d = decide_under(process, charge=charge(), decided_at="2026-03-02T23:30:00+02:00")
    assert d.pay_by is not None
    assert d.pay_by.at == at("2026-03-12T23:59:59.999999+02:00")
    assert d.pay_by.at.isoformat() == "2026-03-12T23:59:59.999999+02:00"


def test_calendar_day_promise_uses_the_local_day_of_a_utc_decision():
    # 22:30Z on 1 Mar is 00:30 on 2 Mar in Johannesburg
    process = {"payout": {"days": 10, "clause": "9"}}
    d = decide_under(
        process,
        charge=charge(),
        requested_at="2026-03-01T20:00:00+00:00",  # a decision is never before its request
        decided_at="2026-03-01T22:30:00+00:00",
    )
    assert d.pay_by is not None
    assert d.pay_by.at == at("2026-03-12T23:59:59.999999+02:00")


def test_payment_method_calendar_days_compared_with_business_days():
    process = {
        "payout": {"business_days": 5, "clause": "9"},
        "payout_by_method": {"eft": {"days": 10, "clause": "7"}},
    }
    d = decide_under(process, charge=charge(payment_method="eft"))
    # 5 business days -> Mon 9 Mar 17:00; 10 calendar days -> end of Thu 12 Mar: later wins
    assert d.pay_by is not None
    assert (d.pay_by.at, d.pay_by.clause) == (at("2026-03-12T23:59:59.999999+02:00"), "7")


def test_hours_promise_is_elapsed_time():
    d = decide_under({"payout": {"hours": 48, "clause": "9"}}, charge=charge())
    assert d.pay_by is not None
    assert d.pay_by.at == at("2026-03-04T10:00:00+02:00")


def test_no_pay_by_for_review_or_credit_outcomes():
    review = decide_under(PROCESS, {"outcome": "review", "remedy": "refund"}, charge=charge())
    credit = decide_under(
        PROCESS,
        {"outcome": "approve", "remedy": "account_credit", "amount": {"formula": "full"}},
        charge=charge(),
    )
    assert review.pay_by is None
    assert credit.pay_by is None
    assert credit.decide_by is not None


def test_no_deadlines_without_promises():
    d = decide_under({}, charge=charge())
    assert d.decide_by is None
    assert d.pay_by is None
    assert d.to_dict()["deadlines"] == {
        "decide_by": None,
        "pay_by": None,
        "basis": {"decide_by": None, "pay_by": None},
    }
