"""Request bodies on SQLite and PostgreSQL: an unknown field is refused, not silently dropped,
and every JSON body passes the same gates as the decision preview's (valid JSON with where
it broke, a JSON object with its content type, bounded nesting), with errors in the request's
own terms (``body.<field>``, never a command's internal name or a Python repr)."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Keys, auth
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _refused(r: Any, status: int = 422) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    for leak in ("Money(", "datetime.datetime", "TzInfo", "RecordCharge", "CancelSubscription"):
        assert leak not in r.text, r.text
    return body


def test_every_post_body_refuses_unknown_fields_in_the_openapi_document(
    client: TestClient,
) -> None:
    """Each POST's JSON body schema says ``additionalProperties: false``, and the operation
    documents the statuses the body gates answer."""
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    checked = []
    for path, ops in doc["paths"].items():
        post = ops.get("post")
        if post is None or "requestBody" not in post:
            continue
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        name = schema["$ref"].split("/")[-1]
        checked.append(path)
        assert schemas[name].get("additionalProperties") is False, f"{path}: {name}"
        # what the body gates answer: not JSON (400), too large or deep (413), not a JSON
        # object with its content type (415), not valid (422)
        assert {"400", "413", "415", "422"} <= set(post["responses"]), path
    assert len(checked) >= 25, checked


@pytest.mark.parametrize(
    ("path", "body", "unknown"),
    [
        ("/v1/charges", {"id": "qa-ch20", "customer": "qa-c1", "amount": "10.00",
                         "currency": "ZAR", "atx": "2020-01-01T00:00:00+02:00"}, "atx"),
        ("/v1/customers", {"id": "qa-c1", "bogus": 1}, "bogus"),
        ("/v1/usage_events", {"events": [{"id": "e1", "customer": "c", "units": 1,
                                          "when": "x"}]}, "events.0.when"),
    ],
)  # fmt: skip
def test_an_unknown_field_is_refused_and_nothing_is_written(
    client: TestClient, keys: Keys, path: str, body: dict[str, Any], unknown: str
) -> None:
    h = auth(keys.admin)
    found = _refused(client.post(path, json=body, headers=h))
    assert found["code"] == "invalid_input"
    assert found["where"] == f"body.{unknown}"
    assert repr(unknown.rsplit(".", 1)[-1]) in found["detail"]
    assert "unknown field" in found["detail"]
    assert client.get("/v1/charges/qa-ch20", headers=h).status_code == 404
    assert client.get("/v1/customers", headers=h).json()["data"] == []


def test_too_many_decimals_is_said_in_the_customers_terms(client: TestClient, keys: Keys) -> None:
    body = {"id": "ch1", "customer": "c1", "amount": "12.345", "currency": "ZAR"}
    found = _refused(client.post("/v1/charges", json=body, headers=auth(keys.admin)))
    assert found["where"] == "body.amount"
    assert found["detail"] == "12.345 has more decimals than ZAR allows (2)"
    assert "2 decimals" in found["allowed"]


def test_an_instant_out_of_range_names_the_body_field(client: TestClient, keys: Keys) -> None:
    h = auth(keys.admin)
    plan = {"id": "pl", "tier": 1, "cycle": "monthly", "price": "99.00", "currency": "ZAR"}
    assert client.post("/v1/plans", json=plan, headers=h).status_code == 201
    sub = {"id": "s1", "customer": "c1", "plan": "pl", "at": "2026-05-20T00:00:00Z"}
    assert client.post("/v1/subscriptions", json=sub, headers=h).status_code == 201
    late = {"mode": "at_period_end", "notice_at": "9999-12-31T00:00:00+02:00"}
    found = _refused(client.post("/v1/subscriptions/s1/cancel", json=late, headers=h))
    assert found["where"] == "body.notice_at"
    assert "9999-12-31" in found["detail"] and "2199" in found["allowed"]


def test_malformed_json_says_why_and_where(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/v1/customers",
        content=b'{"id": "c1",\n "x": }',
        headers={**auth(keys.admin), "content-type": "application/json"},
    )
    found = _refused(r, 400)
    assert found["code"] == "malformed_input"
    assert found["detail"].startswith("the body is not valid JSON: Expecting value")
    assert found["detail"].endswith("at line 2 column 7")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"id=c1", "application/x-www-form-urlencoded"), (b'{"id": "c1"}', "text/plain"),
     (b'{"id": "c1"}', None)],
)  # fmt: skip
def test_a_body_that_is_not_json_says_what_to_send(
    client: TestClient, keys: Keys, content: bytes, content_type: str | None
) -> None:
    headers = auth(keys.admin) | ({"content-type": content_type} if content_type else {})
    r = client.post("/v1/customers", content=content, headers=headers)
    found = _refused(r, 415)
    assert found["where"] == "body"
    assert "application/json" in found["allowed"] and "JSON object" in found["detail"]


def test_a_body_that_is_json_but_no_object_is_refused(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/customers", json=["c1"], headers=auth(keys.admin))
    found = _refused(r)
    assert found["where"] == "body" and "JSON object" in found["detail"]


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/decisions/preview"])
def test_deep_nesting_is_refused_alike_everywhere(
    client: TestClient, keys: Keys, path: str
) -> None:
    deep = b'{"id": ' + b"[" * 200 + b"]" * 200 + b"}"
    headers = {**auth(keys.admin), "content-type": "application/json"}
    found = _refused(client.post(path, content=deep, headers=headers), 413)
    assert found["code"] == "input_too_large" and "levels deep" in found["detail"]


def test_a_float_amount_is_explained_as_on_the_preview(client: TestClient, keys: Keys) -> None:
    body = {"id": "ch1", "customer": "c1", "amount": 10.5, "currency": "ZAR"}
    found = _refused(client.post("/v1/charges", json=body, headers=auth(keys.admin)))
    assert found["where"] == "body.amount"
    assert "decimal string" in found["detail"] and '"120.00"' in found["allowed"]


def test_a_command_refusing_a_path_id_names_the_path_parameter(
    client: TestClient, keys: Keys
) -> None:
    r = client.post("/v1/subscriptions/bad!id/cancel", json={}, headers=auth(keys.admin))
    found = _refused(r)
    assert found["where"] == "path.subscription_id"
    assert found["detail"] == "the value of path.subscription_id is not accepted"
    assert "letters, digits" in found["allowed"]


def test_a_zero_charge_is_refused_at_its_field(client: TestClient, keys: Keys) -> None:
    body = {"id": "ch1", "customer": "c1", "amount": "0.00", "currency": "ZAR"}
    found = _refused(client.post("/v1/charges", json=body, headers=auth(keys.admin)))
    assert found["where"] == "body.amount" and "more than 0" in found["allowed"]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("amount", "-5", '"120.00"'), ("currency", "zar", "ISO 4217"), ("id", "no spaces", "letters")],
)
def test_a_value_off_its_pattern_is_said_without_the_regex(
    client: TestClient, keys: Keys, field: str, value: str, allowed: str
) -> None:
    body = {"id": "ch1", "customer": "c1", "amount": "1.00", "currency": "ZAR", field: value}
    found = _refused(client.post("/v1/charges", json=body, headers=auth(keys.admin)))
    assert found["where"] == f"body.{field}" and allowed in found["allowed"]
    assert "^" not in found["detail"] and repr(value) in found["detail"]


def test_an_id_used_for_other_content_says_so_and_how_to_retry(
    client: TestClient, keys: Keys
) -> None:
    h = auth(keys.admin)
    first = {"id": "ch-r", "customer": "c1", "amount": "1.00", "currency": "ZAR",
             "at": "2026-03-01T10:00:00+02:00"}  # fmt: skip
    assert client.post("/v1/charges", json=first, headers=h).status_code == 201
    # a retry without ``at`` (taken as now) or with another amount is other content
    for changed in ({k: v for k, v in first.items() if k != "at"}, {**first, "amount": "2.00"}):
        found = _refused(client.post("/v1/charges", json=changed, headers=h), 409)
        assert found["where"] == "body.id" and found["code"] == "idempotency_conflict"
        assert found["detail"] == "charge 'ch-r' was already recorded with other content"
        assert "Idempotency-Key" in found["allowed"] and "`at`" in found["allowed"]
    assert (
        client.post("/v1/charges", json=first, headers=h).status_code == 201
    )  # the same: a replay
