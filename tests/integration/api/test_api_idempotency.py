"""``Idempotency-Key`` on POST, on both stores: the first response is replayed (status and
body), another payload under the same key is 422, a key still in flight is 409, and keys are
per tenant."""

from __future__ import annotations

from api_helpers import Keys, auth, duplicate_charge
from fastapi.testclient import TestClient

from refundable.bootstrap import App
from refundable.service.idempotency import fingerprint

URL = "/v1/decisions/preview"


def post(client: TestClient, key: str, idem: str, body: dict[str, object]) -> object:
    return client.post(URL, json=body, headers={**auth(key), "Idempotency-Key": idem})


def test_a_retry_replays_the_first_response(client: TestClient, keys: Keys) -> None:
    first = client.post(
        URL, json=duplicate_charge(), headers={**auth(keys.agent), "Idempotency-Key": "k-1"}
    )
    again = client.post(
        URL, json=duplicate_charge(), headers={**auth(keys.agent), "Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_an_error_response_is_replayed_too(client: TestClient, keys: Keys) -> None:
    bad = duplicate_charge(policy="kero")
    headers = {**auth(keys.agent), "Idempotency-Key": "k-err"}
    first = client.post(URL, json=bad, headers=headers)
    again = client.post(URL, json=bad, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert again.headers["content-type"] == "application/problem+json"


def test_the_same_key_with_another_payload_is_422(client: TestClient, keys: Keys) -> None:
    headers = {**auth(keys.agent), "Idempotency-Key": "k-2"}
    assert client.post(URL, json=duplicate_charge(), headers=headers).status_code == 200
    other = duplicate_charge(reason="service_outage")
    r = client.post(URL, json=other, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"


def test_a_key_still_in_flight_is_409(app: App, client: TestClient, keys: Keys) -> None:
    store = client.app.state.api.idempotency  # type: ignore[attr-defined]
    body = client.build_request("POST", URL, json=duplicate_charge()).content
    store.claim(keys.tenant, "k-busy", fingerprint("POST", URL, body), app.clock.now())
    r = client.post(
        URL,
        content=body,
        headers={
            **auth(keys.agent),
            "Idempotency-Key": "k-busy",
            "content-type": "application/json",
        },
    )
    assert r.status_code == 409
    assert r.json()["code"] == "request_in_flight"


def test_keys_are_per_tenant(client: TestClient, keys: Keys) -> None:
    mine = client.post(
        URL, json=duplicate_charge(), headers={**auth(keys.agent), "Idempotency-Key": "shared"}
    )
    theirs = client.post(
        URL,
        json=duplicate_charge(reason="service_outage"),
        headers={**auth(keys.other_admin), "Idempotency-Key": "shared"},
    )
    assert mine.status_code == 200
    assert theirs.status_code != 422  # not the other tenant's record
    assert "idempotent-replayed" not in theirs.headers


def test_an_unusable_key_is_refused(client: TestClient, keys: Keys) -> None:
    r = client.post(
        URL, json=duplicate_charge(), headers={**auth(keys.agent), "Idempotency-Key": "x" * 201}
    )
    assert r.status_code == 422
    assert r.json()["where"] == "header Idempotency-Key"
