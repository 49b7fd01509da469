"""The engine features behind issue 6's readings: rules that ask for missing facts, money
thresholds in a stated currency, business days counted after the event's own day, retained
fees shown by denying rules, and the settlement invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rich.console import Console

from refundable.core.errors import InvariantBroken, PolicyInvalid
from refundable.core.money import Money
from refundable.entrypoints.render_decision import print_decision
from refundable.policy.cond import Cond, truth3
from refundable.policy.decision import FeeLine
from refundable.policy.engine import decide
from refundable.policy.settlement import check_invariants

from .support import charge, compile_rules, refund, request, rule

FIRST = {"fact": "charge.initial_purchase", "ask": "whether this is the first purchase"}


def _leaf(value: bool | None) -> Cond:
    """A leaf that is unknown when ``value`` is None (its fact 'x' is needed and missing)."""
    return Cond(
        lambda r: bool(value),
        "x",
        lambda r: "x",
        missing=lambda r: ("x",) if value is None else (),
    )


T, F, U = _leaf(True), _leaf(False), _leaf(None)
NEEDED = frozenset({"x"})


@pytest.mark.parametrize(
    ("op", "parts", "expected"),
    [
        ("all", (T, U), None),
        ("all", (F, U), False),  # a known failure decides
        ("all", (T, T), True),
        ("any", (F, U), None),
        ("any", (T, U), True),  # a known success decides
        ("any", (F, F), False),
        ("not", (U,), None),
        ("not", (F,), True),
    ],
)
def test_three_valued_logic_is_kleene(op, parts, expected):
    cond = Cond(lambda r: False, op, lambda r: op, op=op, parts=parts)
    assert truth3(cond, request(), NEEDED) is expected


def test_an_absent_fact_the_rule_does_not_need_keeps_its_two_valued_meaning():
    assert truth3(U, request(), frozenset()) is False


def _asking_policy():
    return compile_rules(
        [
            rule(
                "first",
                "2",
                {"reason": "cancellation", "charge.initial_purchase": True},
                refund(),
                needs=[FIRST],
            )
        ]
    )


def test_a_needed_fact_that_is_missing_is_asked_for_not_denied():
    d = decide(_asking_policy(), request(reason="cancellation", charge=charge()))
    assert (d.outcome.value, d.rule, d.remedy.value) == ("review", "first", "none")
    assert [(i.item, i.ask) for i in d.information_needed] == [
        ("charge.initial_purchase", "whether this is the first purchase")
    ]
    assert "we need to know whether this is the first purchase" in d.explanation
    assert d.to_dict()["information_needed"] == [
        {"item": "charge.initial_purchase", "ask": "whether this is the first purchase"}
    ]
    assert d.trace[0].status == "information_needed"


def test_a_needed_fact_that_is_stated_false_does_not_ask():
    c = charge(initial_purchase=False)
    d = decide(_asking_policy(), request(reason="cancellation", charge=c))
    assert (d.outcome.value, d.rule, d.information_needed) == ("deny", None, ())


def test_a_rule_whose_other_conditions_fail_does_not_ask():
    d = decide(_asking_policy(), request(reason="duplicate_charge", charge=charge()))
    assert d.rule is None and d.information_needed == ()


def test_a_known_failing_requirement_wins_over_an_unknown_one():
    requires = [
        {"condition": {"charge.initial_purchase": True}},
        {"condition": {"within": {"days": 7, "of": "charge.charged_at"}}, "clause": "3"},
    ]
    policy = compile_rules(
        [rule("r", "2", {"reason": "cancellation"}, refund(), requires=requires, needs=[FIRST])]
    )
    late = request(reason="cancellation", requested_at="2026-03-20T10:00:00+02:00", charge=charge())
    d = decide(policy, late)
    assert (d.outcome.value, d.clauses[0], d.information_needed) == ("deny", "3", ())
    early = request(reason="cancellation", charge=charge())
    assert decide(policy, early).outcome.value == "review"


def test_needs_names_an_unknown_fact_with_its_line():
    bad = {"fact": "charge.intial_purchase", "ask": "?"}
    with pytest.raises(PolicyInvalid) as caught:
        compile_rules([rule("r", "2", {"reason": "cancellation"}, refund(), needs=[bad])])
    assert "needs: unknown fact 'charge.intial_purchase'" in str(caught.value)


LIMIT = {"charge.amount": {"gt": {"amount": "1000.00", "currency": "ZAR"}}}


def _over(**fields) -> tuple[str, str | None, tuple[str, ...]]:
    policy = compile_rules([rule("over", "2", LIMIT, {"outcome": "deny"})])
    d = decide(policy, request(**fields))
    return d.outcome.value, d.rule, tuple(i.item for i in d.information_needed)


@pytest.mark.parametrize(
    ("amount", "fx", "expected"),
    [
        ("100.00", {"USD/ZAR": "10.01"}, ("deny", "over", ())),  # ZAR 1001.00
        ("100.00", {"USD/ZAR": "10.00"}, ("deny", None, ())),  # ZAR 1000.00: not over
        ("100.00", {"ZAR/USD": "0.099"}, ("deny", "over", ())),  # inverse: ZAR 1010.10
        ("100.00", {}, ("review", "over", ("fx:USD/ZAR",))),  # no rate: ask for it
    ],
)
def test_a_threshold_in_rand_converts_a_foreign_charge(amount, fx, expected):
    assert _over(charge=charge(amount, currency="USD"), fx=fx) == expected


def test_a_threshold_in_the_charge_currency_needs_no_rate():
    assert _over(charge=charge("1000.01")) == ("deny", "over", ())


def test_a_currency_threshold_on_a_fact_that_is_not_money_is_a_problem():
    when = {"usage.consumed_fraction": {"gt": {"amount": "1", "currency": "ZAR"}}}
    with pytest.raises(PolicyInvalid) as caught:
        compile_rules([rule("r", "2", when, {"outcome": "deny"})])
    assert "a threshold with a currency needs a money fact" in str(caught.value)


@pytest.mark.parametrize(
    ("requested_at", "inside"),
    [
        # Charged Wed 1 Apr 2026 18:00, after close. Business days after 1 Apr: Thu 2 (1),
        # [Good Friday, Family Day], Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5).
        ("2026-04-10T16:59:00+02:00", True),
        ("2026-04-13T09:00:00+02:00", False),  # would be the 5th if 1 Apr moved to 2 Apr
        ("2026-04-10T17:30:00+02:00", False),  # received after close: counts on Mon 13
    ],
)
def test_business_days_count_after_the_event_day_even_after_hours(requested_at, inside):
    when = {"within": {"business_days": 5, "of": "charge.charged_at"}}
    c = charge(charged_at="2026-04-01T18:00:00+02:00")
    policy = compile_rules([rule("r", "2", when, refund(None))])
    assert (decide(policy, request(requested_at=requested_at, charge=c)).rule == "r") is inside


def test_a_denying_rule_shows_the_fee_it_retains():
    fees = {"kept": {"clause": "3", "description": "Whole fee kept", "percent": 100}}
    then = {"outcome": "deny", "remedy": "refund", "amount": {"formula": "full"}, "fees": ["kept"]}
    policy = compile_rules([rule("r", "2", {"reason": "cancellation"}, then)], fees=fees)
    d = decide(policy, request(reason="cancellation", charge=charge("300.00")))
    assert (d.outcome.value, str(d.gross.amount), str(d.net.amount)) == ("deny", "300.00", "0.00")
    assert [(f.id, f.clause, str(f.amount.amount)) for f in d.fees] == [("kept", "3", "300.00")]
    assert "3" in d.clauses


def _line(amount: str) -> FeeLine:
    return FeeLine("f", "1", "fee", Money(Decimal(amount), "ZAR"), "")


def _zar(amount: str) -> Money:
    return Money(Decimal(amount), "ZAR")


@pytest.mark.parametrize(
    ("paid", "gross", "fee", "net", "message"),
    [
        ("100.00", "100.00", "-1.00", "100.00", "is negative"),
        ("100.00", "100.00", "0.00", "100.01", "outside 0..gross"),
        ("100.00", "100.00", "0.00", "-0.01", "outside 0..gross"),
        ("100.00", "100.01", "0.00", "100.00", "more than was paid"),
    ],
)
def test_broken_settlement_invariants_raise_a_bug_error(paid, gross, fee, net, message):
    with pytest.raises(InvariantBroken, match=message) as caught:
        check_invariants("r", _zar(paid), _zar(gross), (_line(fee),), _zar(net))
    assert caught.value.code == "invariant_broken"


def test_a_sound_settlement_passes_the_invariants():
    check_invariants("r", _zar("100.00"), _zar("100.00"), (_line("7.00"),), _zar("93.00"))


def test_the_table_lists_what_is_still_needed_before_the_policy_list():
    d = decide(_asking_policy(), request(reason="cancellation", charge=charge()))
    console = Console(record=True, width=200, highlight=False)
    print_decision(console, d)
    assert "still needed  - whether this is the first purchase" in console.export_text()


def test_needs_refuses_a_fact_that_always_has_a_value():
    never = {"fact": "usage.consumed_fraction", "ask": "how much was used"}
    with pytest.raises(PolicyInvalid) as caught:
        compile_rules([rule("r", "2", {"reason": "cancellation"}, refund(), needs=[never])])
    assert "usage.consumed_fraction always has a value" in str(caught.value)
