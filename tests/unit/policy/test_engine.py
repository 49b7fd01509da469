"""The engine on small inline policies: rule order, requirements, the request window, the
trace, determinism, and which policy version decides."""

from __future__ import annotations

from datetime import date

import pytest

from refundable.core.errors import InputError, NoPolicyVersionInForce, NotFound, PolicyInvalid
from refundable.policy.document import Outcome, Remedy
from refundable.policy.engine import decide
from refundable.policy.registry import PolicyRegistry

from .support import charge, compile_doc, compile_rules, policy_doc, refund, request, rule

DUPLICATE = {"reason": "duplicate_charge"}
DENY = {"outcome": "deny"}


# --- first match decides ---------------------------------------------------------------------


def test_the_first_matching_rule_decides():
    policy = compile_rules(
        [
            rule("no-match", "4", {"reason": "cooling_off"}, refund()),
            rule("first", "2", DUPLICATE, refund()),
            rule("second", "3", DUPLICATE, DENY),
        ]
    )
    d = decide(policy, request(charge=charge("300.00")))
    assert (d.rule, d.outcome, d.clauses) == ("first", Outcome.approve, ("2",))
    assert d.net.amount == 300


def test_swapping_the_rules_swaps_the_decision():
    policy = compile_rules(
        [rule("second", "3", DUPLICATE, DENY), rule("first", "2", DUPLICATE, refund())]
    )
    d = decide(policy, request(charge=charge("300.00")))
    assert (d.rule, d.outcome, d.clauses) == ("second", Outcome.deny, ("3",))
    assert d.remedy is Remedy.none


def test_all_keys_of_when_must_hold():
    policy = compile_rules(
        [
            rule(
                "topup",
                "2",
                {"reason": "duplicate_charge", "charge.kind": "wallet_topup"},
                refund(),
            )
        ]
    )
    d = decide(policy, request(charge=charge()))
    assert d.rule is None
    assert d.outcome is Outcome.deny
    assert d.clauses == ("1",)
    assert d.explanation == "Denied under clause 1 (Clause 1): No rule covers this."


def test_default_decides_when_no_rule_applies():
    policy = compile_rules([rule("cool", "2", {"reason": "cooling_off"}, refund())])
    d = decide(policy, request())
    assert (d.rule, d.outcome, d.remedy, d.clauses) == (None, Outcome.deny, Remedy.none, ("1",))
    assert d.gross.is_zero
    assert d.net.is_zero


def test_a_request_for_another_policy_is_refused():
    policy = compile_rules([rule("r", "2", DUPLICATE, refund())])
    with pytest.raises(InputError) as caught:
        decide(policy, request(policy="other"))
    assert caught.value.where == "policy"
    assert caught.value.message == "request names policy 'other' but was given 'acme'"


# --- requirements ----------------------------------------------------------------------------


def test_failing_requirement_denies_citing_the_rule_and_the_requirement_clause():
    policy = compile_rules(
        [
            rule(
                "duplicate",
                "2",
                DUPLICATE,
                refund(),
                requires=[
                    {
                        "condition": {"evidence": {"contains": "bank_statement"}},
                        "clause": "5",
                        "explain": "a bank statement showing both charges is required",
                    }
                ],
            )
        ]
    )
    d = decide(policy, request(charge=charge(), evidence=["screenshot"]))
    assert d.outcome is Outcome.deny
    assert d.remedy is Remedy.none
    assert d.rule == "duplicate"
    assert d.clauses == ("5", "2")
    assert d.net.is_zero
    assert d.explanation == (
        "Denied: the request falls under clause 2 (Clause 2), but under clause 5 (Clause 5) a "
        "bank statement showing both charges is required: the evidence included screenshot."
    )
    (step,) = d.to_dict()["trace"]
    assert step["status"] == "requirement_failed"
    assert step["why"] == (
        "requirement not met: evidence includes bank_statement (evidence was screenshot)"
    )


def test_requirement_without_explain_states_the_failing_condition():
    policy = compile_rules(
        [
            rule(
                "duplicate",
                "2",
                DUPLICATE,
                refund(),
                requires=[{"condition": {"within": {"days": 7, "of": "charge.charged_at"}}}],
            )
        ]
    )
    d = decide(policy, request(charge=charge(), requested_at="2026-03-09T10:00:00+02:00"))
    assert d.outcome is Outcome.deny
    assert d.clauses == ("2",)  # the requirement cites the rule's own clause
    assert d.explanation.startswith(
        "Denied: the request falls under clause 2 (Clause 2), but your request came 8 days after "
        "the charge of 1 March 2026, and the policy allows 7."
    )


def test_requirements_that_hold_let_the_rule_apply():
    policy = compile_rules(
        [
            rule(
                "duplicate",
                "2",
                DUPLICATE,
                refund(),
                requires=[{"condition": {"evidence": {"contains": "bank_statement"}}}],
            )
        ]
    )
    d = decide(policy, request(charge=charge("120.00"), evidence=["bank_statement"]))
    assert d.outcome is Outcome.approve
    assert d.net.amount == 120


# --- request window --------------------------------------------------------------------------


WINDOWED = policy_doc(
    [
        rule("duplicate", "2", DUPLICATE, refund()),
        rule("outage", "3", {"reason": "service_outage"}, refund()),
    ],
    process={
        "request_window": {
            "days": 30,
            "of": "charge.charged_at",
            "clause": "8",
            "covers": ["duplicate"],
        }
    },
)


def test_request_window_denies_a_covered_rule_outside_the_window():
    d = decide(
        compile_doc(WINDOWED),
        request(charge=charge(), requested_at="2026-04-01T09:00:00+02:00"),  # day 31
    )
    assert d.outcome is Outcome.deny
    assert d.rule == "duplicate"
    assert d.clauses == ("8", "2")
    assert d.trace[0].status == "outside_window"
    assert "your request came 31 days after the charge of 1 March 2026" in d.explanation


def test_request_window_includes_its_last_day():
    d = decide(
        compile_doc(WINDOWED),
        request(charge=charge(), requested_at="2026-03-31T23:59:00+02:00"),  # day 30
    )
    assert d.outcome is Outcome.approve


def test_request_window_does_not_apply_to_rules_it_does_not_cover():
    d = decide(
        compile_doc(WINDOWED),
        request(
            charge=charge(),
            reason="service_outage",
            requested_at="2026-06-01T09:00:00+02:00",
        ),
    )
    assert (d.rule, d.outcome) == ("outage", Outcome.approve)


def test_request_window_must_cover_known_rules():
    doc = policy_doc(
        [rule("duplicate", "2", DUPLICATE, refund())],
        process={
            "request_window": {"days": 30, "of": "charge.charged_at", "clause": "8",
                               "covers": ["duplicat"]}
        },
    )  # fmt: skip
    with pytest.raises(PolicyInvalid) as caught:
        compile_doc(doc)
    assert [p.message for p in caught.value.problems] == [
        "request window covers unknown rule 'duplicat'"
    ]
    assert caught.value.problems[0].allowed == "duplicate"


# --- trace -----------------------------------------------------------------------------------


def test_trace_lists_every_rule_with_its_status_and_why():
    policy = compile_rules(
        [
            rule("cool", "4", {"reason": "cooling_off"}, refund()),
            rule("duplicate", "2", DUPLICATE, refund()),
            rule("later", "3", DUPLICATE, DENY),
        ]
    )
    d = decide(policy, request(charge=charge()))
    assert d.to_dict()["trace"] == [
        {
            "rule": "cool",
            "clause": "4",
            "status": "not_applicable",
            "why": "does not apply: needs reason is cooling_off (reason was duplicate_charge)",
            "text": "does not apply: it covers requests where the reason for the request is a "
            "cooling-off cancellation; here the reason for the request was a duplicate charge",
        },
        {
            "rule": "duplicate",
            "clause": "2",
            "status": "applied",
            "why": "all of its conditions held",
            "text": "applies: all of its conditions held",
        },
        {
            "rule": "later",
            "clause": "3",
            "status": "not_reached",
            "why": "not considered: an earlier rule decided",
            "text": "not considered: an earlier rule decided",
        },
    ]


def test_trace_under_the_default_shows_every_rule_not_applicable():
    policy = compile_rules(
        [
            rule("cool", "4", {"reason": "cooling_off"}, refund()),
            rule("topup", "2", {"charge.kind": ["wallet_topup", "usage"]}, refund()),
        ]
    )
    d = decide(policy, request(charge=charge()))
    assert [(s.rule, s.status) for s in d.trace] == [
        ("cool", "not_applicable"),
        ("topup", "not_applicable"),
    ]
    assert d.to_dict()["trace"][1]["why"] == (
        "does not apply: needs charge.kind is one of usage, wallet_topup "
        "(charge.kind was subscription)"
    )


# --- determinism -----------------------------------------------------------------------------


def test_same_input_gives_an_equal_decision():
    policy = compile_doc(WINDOWED)
    first = decide(policy, request(charge=charge("499.00")))
    again = decide(policy, request(charge=charge("499.00")))
    assert first.to_dict() == again.to_dict()
    assert first.to_dict()["net"] == "499.00"


def test_recompiling_the_policy_gives_an_equal_decision():
    first = decide(compile_doc(WINDOWED), request(charge=charge("499.00")))
    again = decide(compile_doc(WINDOWED), request(charge=charge("499.00")))
    assert first.to_dict() == again.to_dict()


# --- versions --------------------------------------------------------------------------------


def _two_versions() -> PolicyRegistry:
    old = policy_doc([rule("r", "2", DUPLICATE, refund())])
    new = policy_doc(
        [rule("r", "3", DUPLICATE, DENY)], version="2026-02-25", effective_from=date(2026, 2, 25)
    )
    return PolicyRegistry.from_policies([compile_doc(new), compile_doc(old)])


@pytest.mark.parametrize(
    ("requested_at", "version"),
    [
        ("2026-02-24T23:30:00+02:00", "2026-01-01"),
        ("2026-02-25T00:30:00+02:00", "2026-02-25"),
        ("2026-02-24T22:30:00+00:00", "2026-02-25"),  # 00:30 on the 25th in Johannesburg
        ("2026-02-24T21:59:59+00:00", "2026-01-01"),  # 23:59:59 on the 24th
        ("2026-01-01T00:00:00+02:00", "2026-01-01"),
    ],
)
def test_the_version_in_force_on_the_local_day_decides(requested_at, version):
    registry = _two_versions()
    req = request(charge=charge(), requested_at=requested_at)
    policy = registry.in_force("acme", req.requested_at)
    assert policy.version == version
    assert decide(policy, req).policy_version == version


def test_no_version_in_force_before_the_first():
    registry = _two_versions()
    with pytest.raises(NoPolicyVersionInForce) as caught:
        registry.in_force("acme", request(requested_at="2025-12-31T23:59:00+02:00").requested_at)
    error = caught.value
    assert error.code == "no_policy_version_in_force"
    assert error.where == "requested_at"
    assert error.message == "no version of policy 'acme' was in force on 2025-12-31"
    assert error.allowed == "on or after 2026-01-01"


def test_unknown_policy_id_is_not_found():
    with pytest.raises(NotFound) as caught:
        _two_versions().in_force("acne", request().requested_at)
    assert caught.value.message == "unknown policy 'acne'"
    assert caught.value.allowed == "acme"


def test_two_versions_on_the_same_day_are_refused():
    doc = policy_doc([rule("r", "2", DUPLICATE, refund())])
    with pytest.raises(PolicyInvalid) as caught:
        PolicyRegistry.from_policies([compile_doc(doc), compile_doc(doc)])
    assert caught.value.problems[0].message == (
        "two versions of policy 'acme' take effect on 2026-01-01"
    )


def test_latest_is_the_newest_version():
    assert _two_versions().latest("acme").version == "2026-02-25"
