"""One cap on every request body (core/limits.py): a body past it is refused with a 413
problem that names the limit, before any route parses it, and nothing is written; announced
by Content-Length or not (chunked); a usage batch has its own, larger cap."""

from __future__ import annotations

import json

import pytest
from api_helpers import Keys, auth
from fastapi.testclient import TestClient

from refundable.core import limits
from refundable.entrypoints.api.body_cap import cap_of

CAP = limits.MAX_REQUEST_BODY_BYTES


def padded(size: int) -> bytes:
    """A JSON customer whose body is exactly ``size`` bytes."""
    head = b'{"id": "big", "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize(
    "path", ["/v1/customers", "/v1/decisions/preview", "/v1/policies/validate", "/console/login"]
)
def test_a_body_past_the_cap_is_a_413_naming_the_limit(
    client: TestClient, keys: Keys, path: str
) -> None:
    r = client.post(path, content=padded(CAP + 1), headers=auth(keys.admin))
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "input_too_large" and problem["limit"] == CAP
    assert f"{CAP:,} bytes" in problem["allowed"] and problem["request_id"]


def test_a_chunked_body_is_cut_off_at_the_cap_and_nothing_is_written(
    client: TestClient, keys: Keys
) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        body = padded(CAP + 10)
        for at in range(0, len(body), 65536):
            yield body[at : at + 65536]

    r = client.post("/v1/customers", content=chunks(), headers=auth(keys.admin))
    assert r.status_code == 413 and r.json()["limit"] == CAP
    assert client.get("/v1/customers/big", headers=auth(keys.admin)).status_code == 404


def test_a_body_at_the_cap_reaches_the_route(client: TestClient, keys: Keys) -> None:
    headers = {**auth(keys.admin), "content-type": "application/json"}
    r = client.post("/v1/customers", content=padded(CAP), headers=headers)
    assert r.status_code == 422  # the route's own check: `pad` is not a field
    assert r.json()["code"] == "invalid_input"


def test_a_usage_batch_has_its_own_larger_cap() -> None:
    assert cap_of("/v1/usage_events") == limits.MAX_BATCH_BODY_BYTES > CAP
    event = {"id": "e" * 64, "customer": "c" * 64, "units": 10**11,
             "at": "2026-01-01T00:00:00.000000+00:00", "feature": "f" * 64}  # fmt: skip
    batch = json.dumps({"events": [event] * limits.MAX_BATCH_EVENTS})
    assert len(batch) <= limits.MAX_BATCH_BODY_BYTES
