"""Golden tests of the problems a broken policy file produces: each says where (file:line),
what is wrong, and what is allowed. One test per kind of problem, plus one file with several
problems reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from refundable.core.errors import PolicyInvalid
from refundable.policy.loader import load_policy_file

# Line numbers matter: each test changes one line of this file (or appends after line 18)
# and asserts the exact problem text.
BASE = """\
policy: acme
name: Acme
version: "2026-01-01"
effective_from: 2026-01-01
source: Acme test policy
timezone: Africa/Johannesburg
currency: ZAR
calendar: {country: ZA, business_hours: {opens: "09:00", closes: "17:00"}}
clauses:
  - {id: "1", title: No refunds as a rule}
  - {id: "2", title: Duplicate charges}
default: {clause: "1", explanation: No rule covers this.}
rules:
  - id: duplicate
    clause: "2"
    description: A charge taken twice is refunded.
    when: {reason: duplicate_charge}
    then: {outcome: approve, remedy: refund, amount: {formula: full}}
"""
WHEN = "    when: {reason: duplicate_charge}\n"
THEN = "    then: {outcome: approve, remedy: refund, amount: {formula: full}}\n"

REASONS = (
    "accidental_activation, account_closure, billing_error, business_closure, cancellation, "
    "change_of_mind, compromised_account, cooling_off, downgrade, duplicate_charge, "
    "failed_delivery, project_cancellation, service_non_delivery, service_outage, system_error, "
    "technical_issue, unauthorized_charge, unintended_auto_topup, wrongful_termination"
)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    assert caught.value.code == "policy_invalid"
    prefix = f"{path}:"
    rendered = [p.render() for p in caught.value.problems]
    assert all(r.startswith(prefix) for r in rendered), rendered
    return [r.removeprefix(prefix) for r in rendered]


def test_the_base_policy_is_valid(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_policy_file(path).rules[0].id == "duplicate"


def test_unknown_fact_in_a_condition(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate_charge, charge.knd: subscription}\n")
    assert problems_of(tmp_path, text) == [
        "17: unknown fact or condition 'charge.knd' "
        "(allowed: a fact path (e.g. reason, charge.kind), within, exceeds, all, any, not)"
    ]


def test_enum_value_not_allowed(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate}\n")
    assert problems_of(tmp_path, text) == [
        f"17: 'duplicate' is not a value of reason (allowed: {REASONS})"
    ]


def test_enum_value_inside_a_list_and_a_combinator(tmp_path):
    text = BASE.replace(WHEN, "    when: {any: [{charge.kind: [subscription, topup]}]}\n")
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith("17: 'topup' is not a value of charge.kind (allowed: addon, ")


def test_unknown_clause_cited(tmp_path):
    text = BASE.replace("    description: A", '    also_cites: ["2.1"]\n    description: A')
    assert problems_of(tmp_path, text) == [
        "16: cites clause '2.1', which is not listed under clauses "
        "(allowed: a clause id from the clauses list: 1, 2)"
    ]


def test_clause_neither_cited_nor_informational(tmp_path):
    text = BASE.replace('default: {clause: "1"', 'default: {clause: "2"')
    assert problems_of(tmp_path, text) == [
        "10: clause 1 (No refunds as a rule) is neither cited by a rule nor informational "
        "(allowed: cite it from a rule, process, fee or parameter, "
        "or give informational: <reason>)"
    ]


def test_an_informational_clause_needs_no_citation(tmp_path):
    text = BASE.replace('default: {clause: "1"', 'default: {clause: "2"').replace(
        "title: No refunds as a rule}", "title: No refunds as a rule, informational: preamble}"
    )
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_policy_file(path).document.clauses[0].informational == "preamble"


def test_unknown_fee(tmp_path):
    text = BASE.replace(THEN, THEN.replace("}}", "}, fees: [admn]}")) + (
        'fees: {admin: {clause: "2", description: Admin fee, percent: 5}}\n'
    )
    assert problems_of(tmp_path, text) == ["18: unknown fee 'admn' (allowed: admin)"]


def test_unknown_fee_in_higher_of(tmp_path):
    text = BASE.replace(THEN, THEN.replace("}}", "}, fees: [{higher_of: [admin, cool]}]}"))
    text += 'fees: {admin: {clause: "2", description: Admin fee, percent: 5}}\n'
    assert problems_of(tmp_path, text) == ["18: unknown fee 'cool' (allowed: admin)"]


def test_unknown_parameter_in_a_fee(tmp_path):
    text = BASE + (
        'parameters: {keep: {value: 10, clause: "2", reading: not stated}}\n'
        'fees: {admin: {clause: "2", description: Admin fee, percent: {param: kep}}}\n'
    )
    assert problems_of(tmp_path, text) == ["20: unknown parameter 'kep' (allowed: keep)"]


def test_unknown_parameter_in_a_condition(tmp_path):
    text = (
        BASE.replace(WHEN, "    when: {within: {days: {param: window}, of: charge.charged_at}}\n")
        + 'parameters: {window_days: {value: 30, clause: "2", reading: not stated}}\n'
    )
    assert problems_of(tmp_path, text) == ["17: unknown parameter 'window' (allowed: window_days)"]


def test_yaml_syntax_error_names_its_line(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate_charge\n")
    assert problems_of(tmp_path, text) == [
        "18: YAML syntax error: expected ',' or '}', but got ':'"
    ]


def test_bad_indentation_names_its_line(tmp_path):
    text = BASE.replace("name: Acme\n", "name: Acme\n  extra: indented\n")
    assert problems_of(tmp_path, text) == [
        "3: YAML syntax error: mapping values are not allowed here"
    ]


def test_duplicate_key(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate_charge, reason: billing_error}\n")
    assert problems_of(tmp_path, text) == [
        "17: key 'reason' appears twice in the same mapping (allowed: each key once)"
    ]


def test_unknown_key_lists_the_keys_of_its_section(tmp_path):
    text = BASE + "    colour: red\n"
    assert problems_of(tmp_path, text) == [
        "19: rules.0: unknown key 'colour' "
        "(allowed: id, clause, also_cites, description, when, requires, needs, then, reading)"
    ]


def test_unknown_top_level_key(tmp_path):
    text = BASE.replace("currency: ZAR\n", "curency: ZAR\n")
    assert problems_of(tmp_path, text) == [
        "1: currency: Field required",
        "7: top level: unknown key 'curency' (allowed: policy, name, version, effective_from, "
        "source, timezone, currency, calendar, settings, parameters, process, fees, wallet, "
        "credits, clauses, readings, rules, default)",
    ]


def test_unknown_key_in_an_amount_uses_the_keys_as_written(tmp_path):
    text = BASE.replace(THEN, "    then: {outcome: approve, amount: {formula: full, form: x}}\n")
    assert problems_of(tmp_path, text) == [
        "18: rules.0.then.amount: unknown key 'form' "
        "(allowed: formula, as_of, from, to, percent, fixed)"
    ]


def test_value_outside_a_language_enumeration(tmp_path):
    text = BASE.replace("outcome: approve", "outcome: aprove")
    assert problems_of(tmp_path, text) == [
        "18: rules.0.then.outcome: Input should be 'approve', 'deny' or 'review' "
        "(allowed: 'approve', 'deny' or 'review')"
    ]


def test_percentage_over_100(tmp_path):
    text = BASE.replace("{formula: full}", "{formula: percent_kept, percent: 120}")
    assert problems_of(tmp_path, text) == [
        "18: percentage 120 is outside 0..100 (allowed: 0 to 100)"
    ]


def test_fee_percentage_over_100(tmp_path):
    text = BASE + 'fees: {admin: {clause: "2", description: Admin fee, percent: 150}}\n'
    assert problems_of(tmp_path, text) == [
        "19: percentage 150 is outside 0..100 (allowed: 0 to 100)"
    ]


def test_pro_rata_elapsed_without_from_and_to(tmp_path):
    text = BASE.replace("{formula: full}", "{formula: pro_rata_elapsed}")
    assert problems_of(tmp_path, text) == [
        "18: pro_rata_elapsed needs from and to (allowed: from: <instant>, to: <instant>)"
    ]


def test_pro_rata_elapsed_from_something_that_is_not_an_instant(tmp_path):
    text = BASE.replace(
        "{formula: full}", "{formula: pro_rata_elapsed, from: incident.cause, to: requested_at}"
    )
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith(
        "18: amount.from: 'incident.cause' is not an instant of the request "
        "(allowed: requested_at, decided_at, charge.charged_at, "
    )


def test_empty_file(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    assert [p.render() for p in caught.value.problems] == [f"{path}: the file is empty"]


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    assert [p.render() for p in caught.value.problems] == [
        f"{path}: cannot read file: No such file or directory"
    ]


def test_several_problems_are_reported_at_once_in_line_order(tmp_path):
    text = (
        BASE.replace('default: {clause: "1"', 'default: {clause: "2"')
        .replace(WHEN, "    when: {reason: duplicate, charge.knd: subscription, evidence: x}\n")
        .replace(THEN, THEN.replace("}}", "}, fees: [admn]}"))
        .replace("title: Duplicate charges}", "title: Duplicate charges, title: Twice}")
        + 'fees: {admin: {clause: "2", description: Admin fee, percent: 150}}\n'
    )
    assert problems_of(tmp_path, text) == [
        "10: clause 1 (No refunds as a rule) is neither cited by a rule nor informational "
        "(allowed: cite it from a rule, process, fee or parameter, "
        "or give informational: <reason>)",
        "11: key 'title' appears twice in the same mapping (allowed: each key once)",
        f"17: 'duplicate' is not a value of reason (allowed: {REASONS})",
        "17: unknown fact or condition 'charge.knd' "
        "(allowed: a fact path (e.g. reason, charge.kind), within, exceeds, all, any, not)",
        "18: unknown fee 'admn' (allowed: admin)",
        "19: percentage 150 is outside 0..100 (allowed: 0 to 100)",
    ]


def test_policy_invalid_summarises_the_first_problem_and_the_count(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(
        BASE.replace(WHEN, "    when: {reason: duplicate, charge.knd: subscription}\n"),
        encoding="utf-8",
    )
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    assert str(caught.value).endswith("(and 1 more)")
    assert str(caught.value).startswith(f"{path}:17: 'duplicate' is not a value of reason")
    assert len(caught.value.details["problems"]) == 2
