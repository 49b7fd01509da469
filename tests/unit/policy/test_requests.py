"""Bad request input: each is refused with a stable code, the field (`where`) and a message
that says what is wrong and what is allowed. Nothing is decided from a half-valid request."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from refundable.core.errors import (
    CurrencyError,
    InputError,
    PolicyInvalid,
    PolicyMismatch,
    status_of,
)
from refundable.core.money import Money
from refundable.policy.loader import load_policy_text
from refundable.policy.requests import parse_request, parse_request_json, parse_request_text

HEAD = "policy: acme\nrequested_at: 2026-03-02T10:00:00+02:00\n"
CHARGE = "{kind: subscription, amount: %s, currency: %s, charged_at: 2026-03-01T10:00:00+02:00}"


def yaml_request(body: str, *, head: str = HEAD) -> str:
    return head + body


def json_request(**fields) -> str:
    data = {
        "policy": "acme",
        "requested_at": "2026-03-02T10:00:00+02:00",
        "reason": "duplicate_charge",
        **fields,
    }
    return json.dumps(data)


def refused(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_request_text(text)
    assert status_of(caught.value).exit_code == 2
    assert status_of(caught.value).http in (400, 413, 415, 422)
    return caught.value


def test_a_good_request_parses():
    r = parse_request_text(
        yaml_request("reason: duplicate_charge\ncharge: " + CHARGE % ('"499.00"', "ZAR"))
    )
    assert r.charge is not None
    assert r.charge.amount == Decimal("499.00")
    assert r.reason == "duplicate_charge"


def test_unknown_reason_lists_the_allowed_values():
    error = refused(yaml_request("reason: refund_please\n"))
    assert error.code == "invalid_input"
    assert error.where == "reason"
    assert error.message == "'refund_please' is not one of the allowed values"
    assert error.allowed == (
        "'duplicate_charge', 'billing_error', "
        "'unauthorized_charge', 'compromised_account', 'service_non_delivery', "
        "'service_outage', 'technical_issue', 'failed_delivery', 'change_of_mind', "
        "'cooling_off', 'cancellation', 'downgrade', 'account_closure', "
        "'unintended_auto_topup', 'system_error', 'accidental_activation', "
        "'wrongful_termination', 'business_closure' or 'project_cancellation'"
    )


def test_float_amount_in_json_is_refused():
    text = json.dumps(
        {
            "policy": "acme",
            "requested_at": "2026-03-02T10:00:00+02:00",
            "reason": "duplicate_charge",
            "charge": {"kind": "subscription", "amount": 499.5, "currency": "ZAR",
                       "charged_at": "2026-03-01T10:00:00+02:00"},
        }
    )  # fmt: skip
    for parse in (parse_request_text, parse_request_json):
        with pytest.raises(InputError) as caught:
            parse(text)
        assert caught.value.code == "invalid_input"
        assert caught.value.where == "charge.amount"
        assert caught.value.message == (
            'amount 499.5 is a float; write it as a decimal string such as "499.5"'
        )


def test_unquoted_yaml_decimal_is_a_float_and_is_refused():
    error = refused(yaml_request("reason: duplicate_charge\ncharge: " + CHARGE % ("499.00", "ZAR")))
    assert error.where == "charge.amount"
    assert error.message == 'amount 499.0 is a float; write it as a decimal string such as "499.0"'


def test_whole_number_amount_is_exact_and_accepted():
    r = parse_request_text(
        yaml_request("reason: duplicate_charge\ncharge: " + CHARGE % ("499", "ZAR"))
    )
    assert r.charge is not None
    assert r.charge.amount == Decimal(499)


def test_float_fx_rate_is_refused():
    error = refused(yaml_request("reason: duplicate_charge\nfx: {USD/ZAR: 18.5}\n"))
    assert error.where == "fx.USD/ZAR"
    assert error.message.startswith("amount 18.5 is a float")


@pytest.mark.parametrize(
    "text",
    [
        "policy: acme\nrequested_at: 2026-03-02T10:00:00\nreason: duplicate_charge\n",
        '{"policy": "acme", "requested_at": "2026-03-02T10:00:00", "reason": "duplicate_charge"}',
    ],
    ids=["yaml", "json"],
)
def test_naive_datetime_is_refused(text):
    error = refused(text)
    assert error.where == "requested_at"
    assert error.message == (
        "datetime 2026-03-02T10:00:00 has no timezone; add an offset such as +02:00"
    )


def test_nested_naive_datetime_names_the_nested_field():
    text = json_request(
        charge={"kind": "subscription", "amount": "1", "currency": "ZAR",
                "charged_at": "2026-03-01T10:00:00"}
    )  # fmt: skip
    assert refused(text).where == "charge.charged_at"


def test_a_date_is_not_an_instant():
    error = refused("policy: acme\nrequested_at: 2026-03-02\nreason: duplicate_charge\n")
    assert error.where == "requested_at"
    assert error.message == "a date is not an instant; give a time and an offset"


def test_unknown_currency():
    error = refused(
        yaml_request("reason: duplicate_charge\ncharge: " + CHARGE % ('"1.00"', "RAND"))
    )
    assert error.where == "charge.currency"
    assert error.message == "unknown currency 'RAND'; use an ISO-4217 code such as ZAR or USD"


def test_unknown_field_is_reported_before_the_field_it_misspells():
    error = refused(yaml_request("reson: duplicate_charge\n"))
    assert error.where == "reson"
    assert error.message == "unknown field (check the spelling)"
    assert error.details["problems"] == [
        "reson: unknown field (check the spelling)",
        "reason: required field is missing",
    ]


def test_unknown_nested_field():
    text = json_request(
        charge={"kind": "subscription", "amount": "1", "currency": "ZAR",
                "charged_at": "2026-03-01T10:00:00+02:00", "ammount": "2"}
    )  # fmt: skip
    error = refused(text)
    assert (error.where, error.message) == ("charge.ammount", "unknown field (check the spelling)")


def test_missing_field():
    error = refused("policy: acme\nreason: duplicate_charge\n")
    assert (error.where, error.message) == ("requested_at", "required field is missing")


@pytest.mark.parametrize(
    ("fx", "message"),
    [
        ('{USDZAR: "18.50"}', "fx pair 'USDZAR' must be BASE/QUOTE ISO codes, e.g. USD/ZAR"),
        ('{USD/RAND: "18.50"}', "fx pair 'USD/RAND' must be BASE/QUOTE ISO codes, e.g. USD/ZAR"),
        ('{USD/ZAR: "0"}', "fx rate for USD/ZAR must be positive"),
    ],
)
def test_malformed_fx(fx, message):
    error = refused(yaml_request(f"reason: duplicate_charge\nfx: {fx}\n"))
    assert (error.code, error.where, error.message) == ("invalid_input", "fx", message)


def test_negative_amount_is_refused():
    error = refused(
        yaml_request("reason: duplicate_charge\ncharge: " + CHARGE % ('"-1.00"', "ZAR"))
    )
    assert (error.where, error.message) == ("charge.amount", "must not be negative")


def test_several_problems_are_all_listed_in_details():
    error = refused(
        "policy: acme\nrequested_at: 2026-03-02T10:00:00\nreason: refund_please\ncolour: red\n"
    )
    problems = error.details["problems"]
    assert problems[0] == "colour: unknown field (check the spelling)"
    assert [p.split(":")[0] for p in problems] == ["colour", "requested_at", "reason"]


def test_invalid_json_names_the_line():
    error = refused('{"policy": "acme",\n "reason": }')
    assert (error.code, error.where) == ("malformed_input", "line 2")
    assert error.message.startswith("the request is not valid JSON: Expecting value")


def test_invalid_yaml_names_the_line():
    error = refused("policy: acme\nreason: [duplicate_charge\n")
    assert (error.code, error.where) == ("malformed_input", "line 3")
    assert error.message == "invalid YAML: did not find expected ',' or ']'"


def test_a_request_must_be_a_mapping():
    error = refused("- duplicate_charge\n")
    assert (error.where, error.message) == ("request", "a request must be a mapping of fields")


def test_policy_given_on_the_command_line_fills_a_missing_policy():
    r = parse_request_text(
        "requested_at: 2026-03-02T10:00:00+02:00\nreason: cooling_off\n", policy="kero"
    )
    assert r.policy == "kero"


def test_policy_given_on_the_command_line_and_another_in_the_request_is_an_error():
    with pytest.raises(PolicyMismatch) as caught:
        parse_request({"policy": "acme", "requested_at": "2026-03-02T10:00:00+02:00",
                       "reason": "cooling_off"}, policy="kero")  # fmt: skip
    error = caught.value
    assert (error.code, error.where) == ("policy_mismatch", "policy")
    assert error.message == "the request names policy 'acme' but is being decided under 'kero'"
    assert error.allowed == "'kero', or leave policy out of the request"
    same = parse_request({"policy": "kero", "requested_at": "2026-03-02T10:00:00+02:00",
                          "reason": "cooling_off"}, policy="kero")  # fmt: skip
    assert same.policy == "kero"


def test_currency_mismatch_in_money_arithmetic():
    with pytest.raises(CurrencyError) as caught:
        Money.of("499.00", "ZAR", where="charge.amount") - Money.of("10.00", "USD")
    error = caught.value
    assert error.code == "currency_error"
    assert error.where is None
    assert str(error) == (
        "cannot subtract ZAR and USD; allowed: one currency; convert first with an explicit FxRate"
    )
    assert status_of(error).exit_code == 2


def test_broken_policy_file_is_policy_invalid_with_its_problems():
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_text("policy: acme\nname: Acme\n", "acme.yaml")
    error = caught.value
    assert error.code == "policy_invalid"
    assert status_of(error).exit_code == 3
    rendered = [p.render() for p in error.problems]
    assert rendered[0].startswith("acme.yaml:1: top level: missing keys 'version', ")
    assert "'rules'" in rendered[0]
    assert error.details["problems"] == rendered
    assert error.to_dict()["code"] == "policy_invalid"
