"""The API's frame on SQLite and PostgreSQL: health, readiness, problem+json errors with the
stable codes, keys and roles, and the decision preview (which records nothing)."""

from __future__ import annotations

from api_helpers import Keys, auth, duplicate_charge
from fastapi.testclient import TestClient

from refundable.bootstrap import App

PROBLEM = "application/problem+json"


def test_health_and_ready_answer_without_a_key(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


def test_a_request_id_comes_back_and_is_kept_when_sane(client: TestClient) -> None:
    given = client.get("/health", headers={"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    fresh = client.get("/health", headers={"X-Request-Id": "bad id with spaces"})
    assert fresh.headers["x-request-id"] not in ("", "bad id with spaces")


def test_no_key_is_401_problem_json(client: TestClient) -> None:
    r = client.post("/v1/decisions/preview", json=duplicate_charge())
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["code"] == "unauthenticated"
    assert body["type"] == "urn:refundable:problem:unauthenticated"
    assert body["instance"] == "/v1/decisions/preview"
    assert body["request_id"] == r.headers["x-request-id"]


def test_a_wrong_secret_is_refused_like_an_unknown_key(client: TestClient, keys: Keys) -> None:
    forged = keys.admin[:-4] + ("aaaa" if not keys.admin.endswith("aaaa") else "bbbb")
    for key in (forged, "rk_nobody.abcdefghijklmnopqrstuvwxyz", "nonsense"):
        r = client.post("/v1/decisions/preview", json=duplicate_charge(), headers=auth(key))
        assert r.status_code == 401, key


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "not_found"


def test_preview_decides_under_the_tenants_policy(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/decisions/preview", json=duplicate_charge(), headers=auth(keys.read_only))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "approve"
    assert (body["remedy"], body["net"], body["currency"]) == ("refund", "120.00", "ZAR")
    assert body["clauses"]


def test_preview_records_nothing(app: App, client: TestClient, keys: Keys) -> None:
    before = app.queries.journal(keys.tenant)
    client.post("/v1/decisions/preview", json=duplicate_charge(), headers=auth(keys.agent))
    assert app.queries.journal(keys.tenant) == before


def test_preview_refuses_another_policy_by_name(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/v1/decisions/preview", json=duplicate_charge(policy="kero"), headers=auth(keys.admin)
    )
    assert r.status_code == 422
    assert r.json()["code"] == "policy_mismatch"
    assert r.json()["where"] == "policy"


def test_preview_lists_every_problem_of_a_bad_request(client: TestClient, keys: Keys) -> None:
    bad = {"requested_at": "yesterday", "reason": "because", "charge": {"amount": "x"}}
    r = client.post("/v1/decisions/preview", json=bad, headers=auth(keys.admin))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_input"
    assert len(body["problems"]) >= 3


def test_malformed_json_is_400(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/v1/decisions/preview",
        content=b'{"reason": "a", "reason": "b"}',
        headers={**auth(keys.admin), "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_input"


def test_metrics_count_requests_by_route_and_decisions_by_outcome(
    client: TestClient, keys: Keys
) -> None:
    client.post("/v1/decisions/preview", json=duplicate_charge(), headers=auth(keys.agent))
    client.post("/v1/decisions/preview", json=duplicate_charge())  # 401
    text = client.get("/metrics").text
    assert (
        'refundable_decisions_total{kind="preview",outcome="approve",remedy="refund"} 1.0' in text
    )
    assert 'route="/v1/decisions/preview",status="401"' in text
    assert 'route="/v1/decisions/preview",status="200"' in text
    assert "refundable_outbox" in text or client.app.state.api.app.engine is None  # type: ignore[attr-defined]


def test_every_list_takes_a_cursor_and_a_limit(client: TestClient) -> None:
    """Issue 11: cursor pagination on every list. Each operation that answers a list object
    documents ``limit`` and ``starting_after``, and its list names ``has_more``."""
    doc = client.get("/openapi.json").json()
    lists = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ok = op.get("responses", {}).get("200", {})
            ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
            if ref is None or not ref.split("/")[-1].startswith("ListOf"):
                continue
            lists.append(f"{method} {path}")
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            assert {"limit", "starting_after"} <= names, f"{method} {path}: {sorted(names)}"
            schema = doc["components"]["schemas"][ref.split("/")[-1]]
            assert {"has_more", "data", "url"} <= set(schema["properties"]), ref
    assert len(lists) >= 12, lists


def test_too_low_a_role_is_told_in_plain_words(client: TestClient, keys: Keys) -> None:
    for key, role in ((keys.agent, "agent"), (keys.read_only, "read_only")):
        r = client.post("/v1/api_keys", json={"role": "agent", "name": "x"}, headers=auth(key))
        assert r.status_code == 403
        assert r.json()["detail"].startswith(f"a key with role {role} may not do this"), r.text


def test_the_openapi_document_and_docs_are_counted_under_their_paths(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    client.get("/no-such-page")
    text = client.get("/metrics").text
    assert 'route="/openapi.json",status="200"' in text
    assert 'route="/docs",status="200"' in text
    assert 'route="unmatched",status="404"' in text  # an unknown path is never a label


def test_a_browser_gets_a_favicon(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
