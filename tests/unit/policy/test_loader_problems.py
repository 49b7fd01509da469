"""Golden tests of the problems a broken policy file produces: each says where (file:line),
what is wrong, and what is allowed. One test per kind of problem, plus one file with several
problems reported together."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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


def test_unknown_fact_in_a_condition_suggests_the_nearest_paths(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate_charge, charge.knd: subscription}\n")
    assert problems_of(tmp_path, text) == [
        "17: unknown fact or condition 'charge.knd'; "
        "did you mean charge.kind or charge.id or charge.amount? "
        "(allowed: a fact path (e.g. reason, charge.kind), within, exceeds, all, any, not)"
    ]


def test_unknown_fact_with_nothing_close_lists_the_condition_keys(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate_charge, colour: red}\n")
    assert problems_of(tmp_path, text) == [
        "17: unknown fact or condition 'colour' "
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
        "18: YAML syntax error: did not find expected ',' or '}' "
        "(while parsing a flow mapping from line 17) "
        "(allowed: YAML 1.2: `key: value` lines indented with spaces, [a, b] and {k: v} closed)"
    ]


def test_bad_indentation_names_its_line(tmp_path):
    text = BASE.replace("name: Acme\n", "name: Acme\n  extra: indented\n")
    assert problems_of(tmp_path, text) == [
        "3: YAML syntax error: mapping values are not allowed in this context "
        "(allowed: YAML 1.2: `key: value` lines indented with spaces, [a, b] and {k: v} closed)"
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
        "1: top level: missing key 'currency' (allowed: required here: policy, name, version, "
        "effective_from, source, timezone, currency, calendar, clauses, rules, default)",
        "7: top level: unknown key 'curency' (allowed: policy, name, version, effective_from, "
        "source, timezone, currency, calendar, settings, parameters, process, fees, wallet, "
        "credits, lifecycle, cases, changes, clauses, readings, rules, default)",
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
        "18: rules.0.then.outcome: 'aprove' is not allowed (allowed: 'approve', 'deny' or 'review')"
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
    assert [p.render() for p in caught.value.problems] == [
        f"{path}: the file is empty "
        "(allowed: a policy document: policy, name, version, ..., clauses, rules, default)"
    ]


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
        "17: unknown fact or condition 'charge.knd'; "
        "did you mean charge.kind or charge.id or charge.amount? "
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


# --- authoring mistakes: each message says how to fix it (issue 6 §4) --------------------------


def test_an_unquoted_version_is_told_to_be_quoted(tmp_path):
    text = BASE.replace('version: "2026-01-01"', "version: 1.10")
    assert problems_of(tmp_path, text) == [
        "3: version: 1.10 is read as a number, not as text; quote it: '1.10' "
        "(allowed: a text in quotes)"
    ]


def test_an_unquoted_clause_number_is_told_to_be_quoted(tmp_path):
    text = BASE.replace('    clause: "2"\n', "    clause: 2.10\n")
    assert problems_of(tmp_path, text) == [
        "15: rules.0.clause: 2.10 is read as a number, not as text; quote it: '2.10' "
        "(allowed: a text in quotes)"
    ]


def test_a_list_of_conditions_is_told_to_use_all(tmp_path):
    text = BASE.replace(WHEN, "    when: [{reason: duplicate_charge}, {charge.kind: addon}]\n")
    assert problems_of(tmp_path, text) == [
        "17: rules.0.when: a list where a mapping is needed "
        "(allowed: one mapping; to require several conditions, use `all: [...]`)"
    ]


def test_a_value_fitting_no_form_of_a_union_is_one_sentence(tmp_path):
    text = BASE + 'fees: {admin: {clause: "2", description: Admin fee, percent: {parm: x}}}\n'
    assert problems_of(tmp_path, text) == [
        "19: fees.admin.percent: the mapping {'parm': 'x'} fits none of the forms this key "
        "takes (allowed: a number or {param: <name>})"
    ]


def test_a_fee_reference_fitting_no_form_is_one_sentence(tmp_path):
    text = BASE.replace(THEN, THEN.replace("}}", "}, fees: [{higher: [a, b]}]}"))
    assert problems_of(tmp_path, text) == [
        "18: rules.0.then.fees.0: the mapping {'higher': ['a', 'b']} fits none of the forms this "
        "key takes (allowed: a fee id or {higher_of: [<fee>, <fee>]})"
    ]


def test_within_without_of(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: duplicate_charge, within: {days: 30}}\n")
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith(
        "17: within needs `of:`, the instant it counts from (allowed: requested_at, decided_at, "
        "charge.charged_at, "
    )


def test_a_missing_key_names_its_section(tmp_path):
    text = BASE.replace("    description: A charge taken twice is refunded.\n", "")
    assert problems_of(tmp_path, text) == [
        "14: rules.0: missing key 'description' "
        "(allowed: required here: id, clause, description, when, then)"
    ]


# --- bad input that used to crash or be accepted (issue 8) ------------------------------------


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("2026-02-30", "day value is outside expected range"),
        ("2026-13-01", "month value is outside expected range of 1-12"),
    ],
)
def test_an_impossible_date_is_a_problem_not_a_crash(tmp_path, written, reason):
    text = BASE.replace("effective_from: 2026-01-01", f"effective_from: {written}")
    assert problems_of(tmp_path, text) == [
        f"4: effective_from: '{written}' is not a date ({reason}) "
        "(allowed: a real date written YYYY-MM-DD, e.g. 2026-01-31)"
    ]


NEGATIVE_FEE = 'fees: {admin: {clause: "2", description: Admin fee, percent: {param: keep}}}\n'


def test_a_negative_parameter_is_refused_like_a_negative_literal(tmp_path):
    text = BASE.replace(THEN, THEN.replace("}}", "}, fees: [admin]}")) + (
        'parameters: {keep: {value: -10, clause: "2", reading: not stated}}\n' + NEGATIVE_FEE
    )
    assert problems_of(tmp_path, text) == [
        "19: parameters.keep.value: a parameter is a percentage or a length of time, not -10 "
        "(allowed: 0 to 878,400)"
    ]


def test_the_refund_a_negative_parameter_would_have_paid(tmp_path):
    # Why the refusal above matters: a fee of -10 % on a 499.00 charge pays 548.90.
    from refundable.core.money import FxTable, Money, Rounding
    from refundable.policy.amounts import CompiledFee, fee_amount

    fee = CompiledFee("admin", "2", "Admin fee", Decimal(-10), None, None, True)
    gross = Money(Decimal("499.00"), "ZAR")
    charged, _ = fee_amount(fee, gross, FxTable(), Rounding.half_up)
    assert gross - charged == Money(Decimal("548.90"), "ZAR")


def test_a_parameter_over_100_used_as_a_percentage(tmp_path):
    text = BASE + (
        'parameters: {keep: {value: 150, clause: "2", reading: not stated}}\n' + NEGATIVE_FEE
    )
    assert problems_of(tmp_path, text) == [
        "20: parameter keep = 150 is used as a percentage and is outside 0..100 "
        "(allowed: 0 to 100, the same bounds as a percentage written in place)"
    ]


def test_a_parameter_used_as_business_days_obeys_their_bound(tmp_path):
    text = (
        BASE.replace(
            WHEN, "    when: {within: {business_days: {param: n}, of: charge.charged_at}}\n"
        )
        + 'parameters: {n: {value: 5000, clause: "2", reading: not stated}}\n'
    )
    assert problems_of(tmp_path, text) == [
        "17: parameter n = 5000 used as business_days is outside 0..3,660 "
        "(allowed: a whole number of business_days from 0 to 3,660)"
    ]


def test_a_huge_business_days_literal(tmp_path):
    text = BASE.replace(
        WHEN, "    when: {within: {business_days: 99999999999, of: charge.charged_at}}\n"
    )
    assert problems_of(tmp_path, text) == [
        "17: business_days: 99999999999 is outside 0..3,660 "
        "(allowed: a whole number of business_days from 0 to 3,660)"
    ]


def test_a_list_inside_a_condition_value(tmp_path):
    text = BASE.replace(WHEN, "    when: {reason: [[duplicate_charge]]}\n")
    assert problems_of(tmp_path, text) == [
        "17: 'reason': a list of values may not hold lists or mappings "
        "(allowed: [value, value, ...] with plain values)"
    ]


def test_an_empty_when_would_match_everything(tmp_path):
    text = BASE.replace(WHEN, "    when: {}\n")
    assert problems_of(tmp_path, text) == [
        "17: rule duplicate: when: {} would match every request "
        "(allowed: at least one condition; what applies to every request belongs in default:)"
    ]


def test_an_approving_refund_without_an_amount(tmp_path):
    text = BASE.replace(THEN, "    then: {outcome: approve, remedy: refund}\n")
    assert problems_of(tmp_path, text) == [
        "18: rule duplicate approves a refund but gives no amount "
        "(allowed: amount: {formula: full} (or another formula), or outcome: review)"
    ]


def test_a_negative_fee_minimum(tmp_path):
    text = BASE + (
        'fees: {admin: {clause: "2", description: Admin fee, percent: 5,\n'
        '               minimum: {amount: "-100.00", currency: ZAR}}}\n'
    )
    assert problems_of(tmp_path, text) == [
        "20: fees.admin.minimum: amount -100.00 is out of bounds (a fee or amount is never "
        "negative) (allowed: 0 up to 1,000,000,000,000,000)"
    ]


def test_higher_of_naming_one_fee_twice(tmp_path):
    text = BASE.replace(THEN, THEN.replace("}}", "}, fees: [{higher_of: [admin, admin]}]}"))
    text += 'fees: {admin: {clause: "2", description: Admin fee, percent: 5}}\n'
    assert problems_of(tmp_path, text) == [
        "18: rules.0.then.fees.0: higher_of names fee admin twice (allowed: two different fee ids)"
    ]


def test_yes_is_not_a_boolean(tmp_path):
    text = BASE + "process: {appeal: {allowed: yes, clause: '1'}}\n"
    assert problems_of(tmp_path, text) == [
        "19: process.appeal.allowed: 'yes' is not true or false "
        "(allowed: true or false (YAML 1.2 reads yes, no, on, off as text))"
    ]


def test_norway_is_a_country_not_false(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(BASE.replace("country: ZA", "country: NO"), encoding="utf-8")
    policy = load_policy_file(path)
    assert policy.document.calendar.country == "NO"
    assert policy.calendar.is_business_day(date(2026, 5, 17)) is False  # Constitution Day


def test_a_scenario_file_given_as_a_policy(tmp_path):
    text = "policy: acme\nscenarios: []\n"
    assert problems_of(tmp_path, text) == [
        "1: this is a scenario file, not a policy "
        "(allowed: a policy document: policy, name, version, ..., clauses, rules, default)"
    ]


def test_control_characters_from_escapes_are_never_echoed(tmp_path):
    text = BASE.replace("reason: duplicate_charge}", 'reason: "\\e[31mred"}')
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith("17: '\\x1b[31mred' is not a value of reason")
    assert "\x1b" not in problem  # shown escaped, never as the control character itself


def test_binary_file(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_bytes(b"policy: acme\n\xff\xfe\x00garbage")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    assert [p.render() for p in caught.value.problems] == [
        f"{path}:2: byte 0xff is not UTF-8 text (is this a binary file?) "
        "(allowed: a UTF-8 text file)"
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    from refundable.core import limits

    path = tmp_path / "acme.yaml"
    path.write_text(BASE + "#" * limits.MAX_DOCUMENT_BYTES, encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    (problem,) = caught.value.problems
    assert problem.render().startswith(f"{path}: the document is 1,000,")
    assert problem.allowed == "at most 1,000,000 bytes"


def test_an_endless_device_is_read_only_up_to_the_limit():
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(Path("/dev/zero"))
    assert [p.message for p in caught.value.problems] == [
        "the document is 1,000,001 bytes, too large to read"
    ]


def test_a_directory_given_as_a_policy_file(tmp_path):
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(tmp_path)
    assert [p.render() for p in caught.value.problems] == [
        f"{tmp_path}: cannot read file: Is a directory"
    ]
