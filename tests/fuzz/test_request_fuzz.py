"""Fuzzing the request parser: whatever arrives (random bytes, random text, random JSON and
YAML shaped like a request, a valid request with one field replaced by anything), the parser
either returns a Request or raises an error of the project's own tree. Anything else (a
KeyError, a RecursionError, an OverflowError, pydantic's ValidationError) fails the test."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refundable.core.errors import RefundableError
from refundable.policy.factpaths import FACTS
from refundable.policy.facts import Request
from refundable.policy.requests import parse_request, parse_request_json, parse_request_text

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

VALID: dict[str, Any] = {
    "policy": "conek",
    "requested_at": "2026-03-02T10:00:00+02:00",
    "reason": "duplicate_charge",
    "charge": {
        "kind": "subscription",
        "amount": "499.00",
        "currency": "ZAR",
        "charged_at": "2026-03-01T10:00:00+02:00",
        "invoice_date": "2026-03-01",
    },
    "failed_delivery": {"units": 12, "value": "1.00", "cause": "platform"},
    "fx": {"USD/ZAR": "18.50"},
}
KEYS = sorted({p.split(".")[-1] for p in FACTS} | {"policy", "fx", "charge", "account", "x"})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2026-02-30",
            "2026-13-01",
            "0001-01-01T00:00:00+00:00",
            "1_000",
            "1e400",
            "yes",
            "NaN",
            "499.005",
            "9" * 60,
            "USD/ZAR",
            "\x1b[31m",
            "2026-03-01",
            "ZAR",
            "platform",
        ]
    ),
)
shaped = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


def _parses_or_refuses(call: Any, *args: Any, **kwargs: Any) -> None:
    try:
        result = call(*args, **kwargs)
    except RefundableError:
        return
    assert isinstance(result, Request)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    _parses_or_refuses(parse_request_text, data)


@FUZZ
@given(st.text(max_size=400))
def test_random_text(text):
    _parses_or_refuses(parse_request_text, text)


@FUZZ
@given(shaped)
def test_random_data_as_json_yaml_and_objects(data):
    text = json.dumps(data, default=str)
    _parses_or_refuses(parse_request_text, text)
    _parses_or_refuses(parse_request_json, text)
    _parses_or_refuses(parse_request_text, yaml.safe_dump(data, default_flow_style=False))
    _parses_or_refuses(parse_request, data)


@FUZZ
@given(
    st.sampled_from(
        [
            "policy",
            "requested_at",
            "reason",
            "decided_at",
            "charge",
            "written",
            "evidence",
            "fx",
            "failed_delivery",
            "account",
            "usage",
            "project",
            "incident",
            "plan_change",
        ]
    ),
    st.sampled_from([None, "kind", "amount", "currency", "charged_at", "invoice_date", "units"]),
    shaped,
)
def test_a_valid_request_with_one_field_replaced(field, sub, value):
    data = json.loads(json.dumps(VALID))
    target = data.get(field)
    if sub is not None and isinstance(target, dict):
        target[sub] = value
    else:
        data[field] = value
    _parses_or_refuses(parse_request, data)
    _parses_or_refuses(parse_request_text, json.dumps(data, default=str))


def test_the_valid_request_parses():
    # guards the fuzz tests above: they mutate a request that is valid to begin with
    from zoneinfo import ZoneInfo

    request = parse_request(VALID, zone=ZoneInfo("Africa/Johannesburg"))
    assert request.charge is not None
    assert request.charge.invoice_date is not None
    assert request.charge.invoice_date.isoformat() == "2026-03-01T00:00:00+02:00"
