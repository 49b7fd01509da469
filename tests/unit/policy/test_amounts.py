"""Amount formulas, caps, fees and currencies, each with a figure worked out by hand.

The charge period used for pro-rata is March 2026 from 1 Mar 00:00 to 31 Mar 00:00
(Johannesburg): 30 days = 720 hours.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from refundable.core.errors import FxRateMissing, InputError, PolicyInvalid
from refundable.policy.document import Outcome, Remedy
from refundable.policy.engine import decide

from .support import MARCH, charge, compile_rules, refund, request, rule

WHEN = {"reason": "duplicate_charge"}


def decide_with(then, req, **top):
    return decide(compile_rules([rule("r", "2", WHEN, then)], **top), req)


def gross_of(formula, req, **amount):
    d = decide_with(refund(formula, **amount), req)
    return d.gross.amount


# --- formulas --------------------------------------------------------------------------------


def test_full_refunds_the_charge():
    assert gross_of("full", request(charge=charge("499.00"))) == Decimal("499.00")


def test_difference_refunds_the_overcharge():
    req = request(charge=charge("499.00", correct_amount="399.00"))
    assert gross_of("difference", req) == Decimal("100.00")


def test_difference_without_an_overcharge_is_denied_as_nothing_due():
    d = decide_with(refund("difference"), request(charge=charge("499.00", correct_amount="499.00")))
    assert d.outcome is Outcome.deny
    assert d.remedy is Remedy.none
    assert d.net.is_zero
    assert d.pay_by is None
    assert d.explanation.startswith(
        "Denied: the request falls under clause 2 (Clause 2), but nothing is due "
        "(ZAR 499.00 charged less ZAR 499.00 due)."
    )


def test_difference_when_undercharged_is_never_negative():
    d = decide_with(refund("difference"), request(charge=charge("399.00", correct_amount="499.00")))
    assert d.outcome is Outcome.deny
    assert d.gross.amount == 0
    assert d.net.amount == 0


def test_difference_needs_the_correct_amount():
    with pytest.raises(InputError) as caught:
        decide_with(refund("difference"), request(charge=charge("499.00")))
    assert caught.value.where == "charge.correct_amount"


def test_pro_rata_unused_from_the_request_to_the_period_end():
    # requested 21 Mar 00:00: 10 of 30 days unused -> 300.00 x 10/30 = 100.00
    req = request(charge=charge("300.00", period=MARCH), requested_at="2026-03-21T00:00:00+02:00")
    d = decide_with(refund("pro_rata_unused"), req)
    assert d.gross.amount == Decimal("100.00")
    assert d.amount_basis == "ZAR 300.00 x 240h00 / 720h00 (actual_seconds)"


def test_pro_rata_unused_as_of_another_instant():
    # as of account.closed_at 11 Mar 00:00: 20 of 30 days -> 300.00 x 20/30 = 200.00
    req = request(
        charge=charge("300.00", period=MARCH),
        account={"closed_at": "2026-03-11T00:00:00+02:00"},
        requested_at="2026-03-25T00:00:00+02:00",
    )
    assert gross_of("pro_rata_unused", req, as_of="account.closed_at") == Decimal("200.00")


def test_pro_rata_unused_before_the_period_starts_is_the_whole_charge():
    req = request(charge=charge("300.00", period=MARCH), requested_at="2026-02-20T00:00:00+02:00")
    assert gross_of("pro_rata_unused", req) == Decimal("300.00")


def test_pro_rata_unused_after_the_period_is_nothing_due():
    req = request(charge=charge("300.00", period=MARCH), requested_at="2026-04-02T00:00:00+02:00")
    d = decide_with(refund("pro_rata_unused"), req)
    assert d.outcome is Outcome.deny
    assert d.gross.amount == 0


def test_pro_rata_needs_the_period():
    with pytest.raises(InputError) as caught:
        decide_with(refund("pro_rata_unused"), request(charge=charge("300.00")))
    assert caught.value.where == "charge.period"


@pytest.mark.parametrize(
    ("day_count", "expected"),
    [
        # requested 21 Mar 12:00: 9.5 days of 30 by the clock -> 300 x 9.5/30 = 95.00
        ("actual_seconds", "95.00"),
        # by local dates 21 Mar -> 31 Mar = 10 of 30 days -> 300 x 10/30 = 100.00
        ("actual_days", "100.00"),
    ],
)
def test_day_count_convention(day_count, expected):
    req = request(charge=charge("300.00", period=MARCH), requested_at="2026-03-21T12:00:00+02:00")
    d = decide(
        compile_rules(
            [rule("r", "2", WHEN, refund("pro_rata_unused"))], settings={"day_count": day_count}
        ),
        req,
    )
    assert d.gross.amount == Decimal(expected)


ELAPSED = {"from": "incident.started_at", "to": "incident.ended_at"}


def test_pro_rata_elapsed_over_an_incident():
    # 10 Mar 00:00 -> 13 Mar 00:00 = 72 of 720 hours -> 300.00 x 72/720 = 30.00
    req = request(
        reason="service_outage",
        charge=charge("300.00", period=MARCH),
        incident={
            "started_at": "2026-03-10T00:00:00+02:00",
            "resolved_at": "2026-03-13T00:00:00+02:00",
            "cause": "internal",
        },
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("pro_rata_elapsed", **ELAPSED))]), req)
    assert d.gross.amount == Decimal("30.00")


def test_pro_rata_elapsed_is_clipped_to_the_period():
    # 27 Feb -> 2 Mar, but only 1 Mar 00:00 -> 2 Mar 00:00 is in the period: 24 of 720 hours
    # -> 300.00 x 24/720 = 10.00
    req = request(
        reason="service_outage",
        charge=charge("300.00", period=MARCH),
        incident={
            "started_at": "2026-02-27T00:00:00+02:00",
            "resolved_at": "2026-03-02T00:00:00+02:00",
            "cause": "internal",
        },
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("pro_rata_elapsed", **ELAPSED))]), req)
    assert d.gross.amount == Decimal("10.00")


def test_pro_rata_elapsed_of_an_open_incident_runs_to_the_request():
    # started 30 Mar 00:00, unresolved, requested 2 Apr: clipped at 31 Mar 00:00 -> 24 hours
    req = request(
        reason="service_outage",
        requested_at="2026-04-02T00:00:00+02:00",
        charge=charge("300.00", period=MARCH),
        incident={"started_at": "2026-03-30T00:00:00+02:00", "cause": "internal"},
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("pro_rata_elapsed", **ELAPSED))]), req)
    assert d.gross.amount == Decimal("10.00")


def test_pro_rata_plan_difference_from_the_change_to_the_period_end():
    # (500 - 200) x 15/30 days from 16 Mar = 150.00
    req = request(
        reason="downgrade",
        charge=charge("500.00", period=MARCH),
        plan_change={
            "effective_at": "2026-03-16T00:00:00+02:00",
            "from_price": "500.00",
            "to_price": "200.00",
        },
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("pro_rata_plan_difference"))]), req)
    assert d.gross.amount == Decimal("150.00")


def test_gross_is_capped_at_what_was_paid():
    # (1000 - 0) x 15/30 = 500.00, but only 300.00 was paid
    req = request(
        reason="downgrade",
        charge=charge("300.00", period=MARCH),
        plan_change={
            "effective_at": "2026-03-16T00:00:00+02:00",
            "from_price": "1000.00",
            "to_price": "0",
        },
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("pro_rata_plan_difference"))]), req)
    assert d.gross.amount == Decimal("300.00")
    assert d.net.amount == Decimal("300.00")


def test_plan_upgrade_is_never_a_negative_refund():
    req = request(
        reason="downgrade",
        charge=charge("300.00", period=MARCH),
        plan_change={
            "effective_at": "2026-03-16T00:00:00+02:00",
            "from_price": "200.00",
            "to_price": "500.00",
        },
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("pro_rata_plan_difference"))]), req)
    assert d.outcome is Outcome.deny
    assert d.gross.amount == 0


def test_percent_kept():
    # the business keeps 25% of 200.00 -> 150.00
    assert gross_of("percent_kept", request(charge=charge("200.00")), percent=25) == Decimal(
        "150.00"
    )


def test_percent_kept_from_a_parameter():
    then = refund("percent_kept", percent={"param": "kept"})
    d = decide(
        compile_rules(
            [rule("r", "2", WHEN, then)],
            parameters={"kept": {"value": 10, "clause": "3", "reading": "not stated"}},
        ),
        request(charge=charge("199.99")),
    )
    # 199.99 x 0.9 = 179.991 -> 179.99
    assert d.gross.amount == Decimal("179.99")


def test_unused_share():
    req = request(charge=charge("250.00"), usage={"consumed_fraction": "0.4"})
    assert gross_of("unused_share", req) == Decimal("150.00")


def test_wallet_excess_without_a_charge():
    req = request(
        reason="account_closure",
        account={"currency": "ZAR", "wallet_balance": "1000.00", "amount_due": "250.00"},
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("wallet_excess"))]), req)
    assert (d.gross.amount, d.currency) == (Decimal("750.00"), "ZAR")


def test_wallet_owing_more_than_its_balance_is_nothing_due():
    req = request(
        reason="account_closure",
        account={"currency": "ZAR", "wallet_balance": "100.00", "amount_due": "250.00"},
    )
    d = decide(compile_rules([rule("r", "2", {}, refund("wallet_excess"))]), req)
    assert d.outcome is Outcome.deny
    assert d.net.amount == 0


def test_failed_value_and_units():
    then = {
        "outcome": "approve",
        "remedy": "message_credits",
        "amount": {"formula": "failed_value"},
        "units": {"fact": "failed_delivery.units"},
    }
    req = request(
        reason="failed_delivery",
        account={"currency": "ZAR"},
        failed_delivery={"units": 100, "value": "42.50", "cause": "platform"},
    )
    d = decide(compile_rules([rule("r", "2", {}, then)]), req)
    assert (d.gross.amount, d.units, d.remedy) == (Decimal("42.50"), 100, Remedy.message_credits)
    assert "Remedy: 100 message credits reinstated to the account." in d.explanation


def test_fixed_amount():
    then = refund("fixed", fixed={"amount": "50.00", "currency": "ZAR"})
    assert decide_with(then, request(charge=charge("300.00"))).gross.amount == Decimal("50.00")


def test_fixed_amount_is_capped_at_what_was_paid():
    then = refund("fixed", fixed={"amount": "50.00", "currency": "ZAR"})
    d = decide_with(then, request(charge=charge("30.00")))
    assert d.gross.amount == Decimal("30.00")


def test_none_formula_gives_nothing_but_is_not_a_denial():
    then = {"outcome": "review", "remedy": "refund", "amount": {"formula": "none"}}
    d = decide_with(then, request(charge=charge("300.00")))
    assert d.outcome is Outcome.review
    assert d.gross.amount == 0


def test_rounding_is_applied_once_with_the_named_mode():
    # 1.00 x (1 - 0.995) = 0.005: half_up gives 0.01, half_even gives 0.00 (nothing due)
    req = request(charge=charge("1.00"), usage={"consumed_fraction": "0.995"})
    rules = [rule("r", "2", WHEN, refund("unused_share"))]
    up = decide(compile_rules(rules, settings={"rounding": "half_up"}), req)
    even = decide(compile_rules(rules, settings={"rounding": "half_even"}), req)
    assert (up.outcome, up.gross.amount) == (Outcome.approve, Decimal("0.01"))
    assert (even.outcome, even.gross.amount) == (Outcome.deny, Decimal("0.00"))


def test_default_rounding_is_half_up():
    req = request(charge=charge("1.00"), usage={"consumed_fraction": "0.995"})
    d = decide(compile_rules([rule("r", "2", WHEN, refund("unused_share"))]), req)
    assert d.gross.amount == Decimal("0.01")


# --- fees ------------------------------------------------------------------------------------

ADMIN = {
    "admin": {
        "clause": "6",
        "description": "Admin fee",
        "percent": 7,
        "minimum": {"amount": "100.00", "currency": "USD"},
    }
}
HIGHER = {
    "admin": {"clause": "6", "description": "Admin fee", "percent": 7},
    "cooling": {"clause": "7", "description": "Cooling-off fee", "percent": 10},
}


def fee_policy(fees, fee_refs, then=None):
    then = then or {**refund(), "fees": fee_refs}
    return compile_rules([rule("r", "2", WHEN, then)], fees=fees)


def test_percentage_fee_above_its_minimum():
    # 7% of 30 000.00 = 2 100.00 > USD 100 x 18.50 = 1 850.00
    d = decide(
        fee_policy(ADMIN, ["admin"]), request(charge=charge("30000.00"), fx={"USD/ZAR": "18.50"})
    )
    assert [(f.id, f.amount.amount) for f in d.fees] == [("admin", Decimal("2100.00"))]
    assert d.net.amount == Decimal("27900.00")
    assert d.clauses == ("2", "6")
    assert d.pay_by is None  # no payout promise in this policy


def test_fee_minimum_in_another_currency_is_converted_with_the_request_rate():
    # 7% of 20 000.00 = 1 400.00 < USD 100 x 18.50 = 1 850.00
    d = decide(
        fee_policy(ADMIN, ["admin"]), request(charge=charge("20000.00"), fx={"USD/ZAR": "18.50"})
    )
    (fee,) = d.fees
    assert fee.amount.amount == Decimal("1850.00")
    assert fee.basis == "minimum USD 100.00 at USD/ZAR 18.50 (above 7% of ZAR 20,000.00)"
    assert d.net.amount == Decimal("18150.00")
    assert d.to_dict()["fx"] == [{"pair": "USD/ZAR", "rate": "18.50", "source": "request"}]


def test_fee_minimum_converted_with_the_inverse_rate():
    # ZAR/USD 0.05 means USD 100 = ZAR 2 000.00; 7% of 20 000.00 = 1 400.00
    d = decide(
        fee_policy(ADMIN, ["admin"]), request(charge=charge("20000.00"), fx={"ZAR/USD": "0.05"})
    )
    assert d.fees[0].amount.amount == Decimal("2000.00")


def test_fee_minimum_without_a_rate_is_an_error_naming_the_pair():
    with pytest.raises(FxRateMissing) as caught:
        decide(fee_policy(ADMIN, ["admin"]), request(charge=charge("20000.00")))
    assert caught.value.message == "no exchange rate supplied to convert USD to ZAR"


def test_higher_of_charges_only_the_higher_fee():
    # admin 7% of 1 000 = 70.00; cooling 10% = 100.00 -> only cooling, 100.00
    d = decide(
        fee_policy(HIGHER, [{"higher_of": ["admin", "cooling"]}]), request(charge=charge("1000.00"))
    )
    (fee,) = d.fees
    assert (fee.id, fee.amount.amount, fee.clause) == ("cooling", Decimal("100.00"), "7")
    assert fee.basis == "10% of ZAR 1,000.00; the higher of this and admin, never both"
    assert d.net.amount == Decimal("900.00")


def test_higher_of_picks_the_other_fee_when_it_is_higher():
    fees = {**HIGHER, "admin": {**HIGHER["admin"], "percent": 12}}
    d = decide(
        fee_policy(fees, [{"higher_of": ["admin", "cooling"]}]), request(charge=charge("1000.00"))
    )
    assert [(f.id, f.amount.amount) for f in d.fees] == [("admin", Decimal("120.00"))]
    assert d.net.amount == Decimal("880.00")


def test_fees_listed_separately_are_both_charged():
    d = decide(fee_policy(HIGHER, ["admin", "cooling"]), request(charge=charge("1000.00")))
    assert [f.amount.amount for f in d.fees] == [Decimal("70.00"), Decimal("100.00")]
    assert d.net.amount == Decimal("830.00")


def test_fee_that_eats_the_refund_denies_citing_the_fee_clause():
    # 7% of 1 000.00 = 70.00 < USD 100 x 18.50 = 1 850.00 >= 1 000.00
    d = decide(
        fee_policy(ADMIN, ["admin"]), request(charge=charge("1000.00"), fx={"USD/ZAR": "18.50"})
    )
    assert d.outcome is Outcome.deny
    assert d.remedy is Remedy.none
    assert d.net.amount == 0
    assert d.gross.amount == Decimal("1000.00")
    assert "6" in d.clauses
    assert (
        "The fees (admin fee of ZAR 1,850.00 under clause 6 (Clause 6)) would take the whole "
        "ZAR 1,000.00, so no refund is paid." in d.explanation
    )


def test_fee_equal_to_the_refund_also_denies():
    fees = {"flat": {"clause": "6", "description": "Flat fee",
                     "fixed": {"amount": "100.00", "currency": "ZAR"}}}  # fmt: skip
    d = decide(fee_policy(fees, ["flat"]), request(charge=charge("100.00")))
    assert d.outcome is Outcome.deny
    assert d.net.amount == 0


def test_fee_may_be_allowed_to_leave_nothing_without_denying():
    fees = {"flat": {"clause": "6", "description": "Flat fee", "no_refund_if_exceeds": False,
                     "fixed": {"amount": "100.00", "currency": "ZAR"}}}  # fmt: skip
    d = decide(fee_policy(fees, ["flat"]), request(charge=charge("100.00")))
    assert d.outcome is Outcome.approve
    assert d.net.amount == 0


def test_fees_apply_to_money_paid_out_only():
    then = {"outcome": "approve", "remedy": "account_credit", "amount": {"formula": "full"},
            "fees": ["admin"]}  # fmt: skip
    d = decide(fee_policy(HIGHER, None, then), request(charge=charge("1000.00")))
    assert d.fees == ()
    assert d.net.amount == Decimal("1000.00")


# --- refund currency -------------------------------------------------------------------------


def test_refund_currency_converts_the_gross():
    # ZAR 1 850.00 at USD/ZAR 18.50 -> USD 100.00
    policy = compile_rules([rule("r", "2", WHEN, refund())], settings={"refund_currency": "USD"})
    d = decide(policy, request(charge=charge("1850.00"), fx={"USD/ZAR": "18.50"}))
    assert (d.currency, d.gross.amount, d.net.amount) == ("USD", Decimal("100.00"),
                                                          Decimal("100.00"))  # fmt: skip
    assert d.gross.currency == "USD"
    assert d.amount_basis.startswith("the full charge of ZAR 1,850.00; converted at ZAR/USD 0.054")
    assert d.to_dict()["fx"] == [{"pair": "USD/ZAR", "rate": "18.50", "source": "request"}]


def test_refund_currency_without_a_rate_is_an_error():
    policy = compile_rules([rule("r", "2", WHEN, refund())], settings={"refund_currency": "USD"})
    with pytest.raises(FxRateMissing, match="convert ZAR to USD"):
        decide(policy, request(charge=charge("1850.00")))


# --- formula inputs checked when loading -----------------------------------------------------


def test_units_must_come_from_a_whole_number_fact():
    then = {"outcome": "approve", "remedy": "message_credits", "units": {"fact": "reason"}}
    with pytest.raises(PolicyInvalid) as caught:
        compile_rules([rule("r", "2", WHEN, then)])
    assert caught.value.problems[0].message == "units: 'reason' is not a whole-number fact"


def test_fee_above_the_refund_never_makes_net_negative():
    # a flat 150.00 fee on a 100.00 refund that the policy does not deny: net is 0.00, not -50
    fees = {"flat": {"clause": "6", "description": "Flat fee", "no_refund_if_exceeds": False,
                     "fixed": {"amount": "150.00", "currency": "ZAR"}}}  # fmt: skip
    d = decide(fee_policy(fees, ["flat"]), request(charge=charge("100.00")))
    assert d.net.amount == Decimal("0.00")
    assert not d.net.is_negative
    assert d.pay_by is None


def test_pro_rata_over_a_period_shorter_than_a_day_under_actual_days_is_a_clear_error():
    period = {"start": "2026-03-02T08:00:00+02:00", "end": "2026-03-02T20:00:00+02:00"}
    policy = compile_rules(
        [rule("r", "2", WHEN, refund("pro_rata_unused"))], settings={"day_count": "actual_days"}
    )
    with pytest.raises(InputError) as caught:
        decide(policy, request(charge=charge("100.00", period=period)))
    assert caught.value.where == "charge.period"
    assert "has no length in actual_days" in caught.value.message
