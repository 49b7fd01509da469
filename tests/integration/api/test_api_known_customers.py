"""Which customers a tenant knows (ADR 0083), and a customer's statement paged like every other
list, over HTTP on SQLite and PostgreSQL.

A customer is known once registered (``POST /v1/customers``) or once any record of the
tenant's names it (a charge, payment, top-up, credit lot or subscription): every customer
endpoint then finds it, the list included; a usage event for a customer with no record at
all is 404, not "insufficient funds"."""

from __future__ import annotations

from typing import Any

from api_helpers import Keys, auth, duplicate_charge
from fastapi.testclient import TestClient


def _walk(
    client: TestClient, path: str, h: dict[str, str], limit: int, key: str = "id"
) -> list[Any]:
    seen: list[Any] = []
    after = None
    for _ in range(200):
        params: dict[str, Any] = {"limit": limit, **({"starting_after": after} if after else {})}
        r = client.get(path, params=params, headers=h)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["data"]) <= limit
        seen += page["data"]
        if not page["has_more"]:
            return seen
        after = page["data"][-1][key]
    raise AssertionError("the pages never end")


def test_a_customer_named_by_a_record_is_known_everywhere(client: TestClient, keys: Keys) -> None:
    h = auth(keys.admin)
    assert client.post("/v1/customers", json={"id": "c-reg"}, headers=h).status_code == 201
    charge = {"id": "ch1", "customer": "c-charged", "amount": "10.00", "currency": "ZAR"}
    assert client.post("/v1/charges", json=charge, headers=h).status_code == 201
    plan = {"id": "pl", "tier": 1, "cycle": "monthly", "price": "99.00", "currency": "ZAR"}
    assert client.post("/v1/plans", json=plan, headers=h).status_code == 201
    sub = {"id": "s1", "customer": "c-subscribed", "plan": "pl", "trial_days": 14}
    assert client.post("/v1/subscriptions", json=sub, headers=h).status_code == 201
    known = ["c-charged", "c-reg", "c-subscribed"]
    assert [c["id"] for c in _walk(client, "/v1/customers", h, 100)] == known
    assert [c["id"] for c in _walk(client, "/v1/customers", h, 1)] == known
    for cid in known:
        one = client.get(f"/v1/customers/{cid}", headers=h)
        assert one.status_code == 200 and one.json()["id"] == cid, one.text
        for tail in ("balances", "statement", "credit_lots", "subscriptions"):
            r = client.get(f"/v1/customers/{cid}/{tail}", headers=h)
            assert r.status_code == 200, (cid, tail, r.text)
    statement = client.get("/v1/customers/c-charged/statement", headers=h).json()
    assert [x["amount"] for x in statement["data"]] == ["10.00"]
    other = client.get("/v1/customers", headers=auth(keys.other_admin)).json()
    assert [c["id"] for c in other["data"]] == []


def test_an_unknown_customer_is_404_everywhere(client: TestClient, keys: Keys) -> None:
    h = auth(keys.admin)
    for tail in ("", "/balances", "/statement", "/credit_lots", "/subscriptions"):
        r = client.get(f"/v1/customers/no-such{tail}", headers=h)
        assert r.status_code == 404 and r.json()["code"] == "not_found", tail


def test_usage_for_a_customer_with_no_record_is_not_found(client: TestClient, keys: Keys) -> None:
    h = auth(keys.admin)
    batch = {"events": [{"id": "e1", "customer": "no-such", "units": 1}]}
    r = client.post("/v1/usage_events", json=batch, headers=h)
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["code"] == "not_found" and "no-such" in body["detail"]
    assert body["where"] == "body.events.0.customer"
    assert "/v1/customers" in body["allowed"]


def _statement_world(client: TestClient, h: dict[str, str]) -> None:
    client.post("/v1/customers", json={"id": "cs"}, headers=h)
    for n in range(4):  # two at one instant: ties are broken by recorded order and id
        at = f"2026-04-0{1 + n // 2}T10:00:00+00:00"
        body = {"id": f"ch{n}", "customer": "cs", "amount": f"1{n}.00", "currency": "ZAR",
                "at": at}  # fmt: skip
        assert client.post("/v1/charges", json=body, headers=h).status_code == 201
    paid = {"id": "p1", "customer": "cs", "amount": "25.00", "currency": "ZAR",
            "method": "card", "provider": "stripe", "at": "2026-04-03T10:00:00+00:00"}  # fmt: skip
    assert client.post("/v1/payments", json=paid, headers=h).status_code == 201
    more = {**paid, "id": "p2", "amount": "120.00", "at": "2026-04-04T10:00:00+00:00"}
    assert client.post("/v1/payments", json=more, headers=h).status_code == 201
    decided = {"id": "d1", "customer": "cs", "request": duplicate_charge()}  # 120.00
    assert client.post("/v1/decisions", json=decided, headers=h).status_code == 201
    refund = {"id": "r1", "payment": "p2", "decision": "d1"}  # to the card: no account of theirs
    assert client.post("/v1/refunds", json=refund, headers=h).status_code == 201


def test_the_statement_pages_oldest_first_with_a_unique_cursor(
    client: TestClient, keys: Keys
) -> None:
    h = auth(keys.admin)
    _statement_world(client, h)
    whole = _walk(client, "/v1/customers/cs/statement", h, 100)
    assert len({x["id"] for x in whole}) == len(whole) >= 7
    assert [x["balance"] for x in whole if x["kind"] == "refund"] == [None]
    assert [x["effective_at"] for x in whole] == sorted(x["effective_at"] for x in whole)
    for limit in (1, 2, 3):
        assert _walk(client, "/v1/customers/cs/statement", h, limit) == whole
    first = client.get("/v1/customers/cs/statement", params={"limit": 3}, headers=h).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert first["data"] == whole[:3]
    # each account's running balance is carried across pages and ends at its balance
    balances = client.get("/v1/customers/cs/balances", headers=h).json()["data"]
    for b in balances:
        mine = [x["balance"] for x in whole if x["account"] == b["account"]]
        assert mine[-1] == b["amount"], b
    assert {b["amount"] for b in balances if b["kind"] == "receivable"} == {"-99.00"}


def test_a_statement_cursor_of_no_line_is_a_clear_422(client: TestClient, keys: Keys) -> None:
    h = auth(keys.admin)
    _statement_world(client, h)
    r = client.get("/v1/customers/cs/statement", params={"starting_after": "nope"}, headers=h)
    assert r.status_code == 422 and r.json()["where"] == "query.starting_after"
