"""Resources end to end through HTTP on SQLite and PostgreSQL: the money a recorded decision
allows (and nothing else), cursor pagination, and a customer's view after the movements."""

from __future__ import annotations

import pytest
from api_helpers import Keys, auth, duplicate_charge
from fastapi.testclient import TestClient


def test_pages_walk_every_customer_once_in_id_order(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    for cid in ("c3", "c1", "c5", "c2", "c4"):
        assert client.post("/v1/customers", json={"id": cid}, headers=h).status_code == 201
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"starting_after": after} if after else {})}
        page = client.get("/v1/customers", params=params, headers=h).json()
        seen += [c["id"] for c in page["data"]]
        pages += 1
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert (seen, pages) == (["c1", "c2", "c3", "c4", "c5"], 3)


def test_charges_are_listed_a_page_at_a_time_and_read_one_by_one(
    client: TestClient, keys: Keys
) -> None:
    h = auth(keys.agent)
    assert client.post("/v1/customers", json={"id": "cx"}, headers=h).status_code == 201
    for n, cid in enumerate(("ch-3", "ch-1", "ch-2")):
        body = {"id": cid, "customer": "cx", "amount": f"1{n}.50", "currency": "ZAR",
                "memo": f"invoice {cid}", "at": "2026-04-01T10:00:00+02:00"}  # fmt: skip
        assert client.post("/v1/charges", json=body, headers=h).status_code == 201
    first = client.get("/v1/charges", params={"limit": 2}, headers=h).json()
    assert [c["id"] for c in first["data"]] == ["ch-1", "ch-2"] and first["has_more"]
    rest = client.get("/v1/charges", params={"starting_after": "ch-2"}, headers=h).json()
    assert [c["id"] for c in rest["data"]] == ["ch-3"] and not rest["has_more"]
    one = client.get("/v1/charges/ch-3", headers=auth(keys.read_only)).json()
    assert one["customer"] == "cx" and one["amount"] == {"amount": "10.50", "currency": "ZAR"}
    assert one["memo"] == "invoice ch-3" and one["charged_at"].startswith("2026-04-01T08:00")
    missing = client.get("/v1/charges/nope", headers=h)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_limit_out_of_range_is_a_clear_422(client: TestClient, keys: Keys) -> None:
    r = client.get("/v1/customers", params={"limit": 1000}, headers=auth(keys.read_only))
    assert r.status_code == 422
    assert r.json()["where"] == "query.limit"


def test_a_refund_pays_exactly_what_the_decision_allows(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    client.post("/v1/customers", json={"id": "cx"}, headers=h)
    paid = {"id": "px", "customer": "cx", "amount": "300.00", "currency": "ZAR",
            "method": "card", "provider": "stripe"}  # fmt: skip
    assert client.post("/v1/payments", json=paid, headers=h).status_code == 201
    request = {"id": "dx", "customer": "cx", "request": duplicate_charge()}  # 120.00
    decided = client.post("/v1/decisions", json=request, headers=h)
    assert decided.status_code == 201, decided.text
    assert decided.json()["decision"]["net"] == "120.00"
    refund = client.post("/v1/refunds", json={"id": "rx", "payment": "px", "decision": "dx"},
                         headers=h)  # fmt: skip
    assert refund.status_code == 201, refund.text
    payment = client.get("/v1/payments/px", headers=h).json()
    assert payment["refunded"] == {"amount": "120.00", "currency": "ZAR"}
    assert payment["refundable"] == {"amount": "180.00", "currency": "ZAR"}
    again = client.post("/v1/refunds", json={"id": "ry", "payment": "px", "decision": "dx"},
                        headers=h)  # fmt: skip
    assert again.status_code == 409  # one refund per decision
    assert client.get("/v1/decisions/dx", headers=h).json()["customer"] == "cx"


def test_a_lot_is_drawn_by_usage_and_shows_what_is_left(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    client.post("/v1/customers", json={"id": "cl"}, headers=h)
    lot = {"id": "lot1", "customer": "cl", "units": 100, "price": "50.00", "currency": "ZAR"}
    made = client.post("/v1/credit_lots", json=lot, headers=h).json()
    assert (made["units"], made["remaining"], made["status"]) == (100, 100, "open")
    used = client.post("/v1/usage_events", headers=h,
                       json={"events": [{"id": "e1", "customer": "cl", "units": 30}]})  # fmt: skip
    assert used.json()["details"]["accepted"] == "1"
    assert client.get("/v1/credit_lots/lot1", headers=h).json()["remaining"] == 70
    listed = client.get("/v1/customers/cl/credit_lots", headers=h).json()
    assert [x["id"] for x in listed["data"]] == ["lot1"]


def test_a_draft_policy_is_checked_with_every_problem(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/policies/validate", json={"text": "policy: x\nversion: 1\n"},
                    headers=auth(keys.read_only))  # fmt: skip
    assert r.status_code == 422
    assert r.json()["code"] == "policy_invalid"
    assert len(r.json()["problems"]) >= 1


def test_a_case_is_opened_decided_and_followed(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    client.post("/v1/customers", json={"id": "cc"}, headers=h)
    charge = {"id": "chc", "customer": "cc", "amount": "120.00", "currency": "ZAR",
              "at": "2026-05-30T09:00:00Z"}  # fmt: skip
    assert client.post("/v1/charges", json=charge, headers=h).status_code == 201
    paid = {"id": "pc", "customer": "cc", "amount": "120.00", "currency": "ZAR",
            "method": "card", "provider": "stripe", "at": "2026-05-30T09:00:00Z"}  # fmt: skip
    assert client.post("/v1/payments", json=paid, headers=h).status_code == 201
    opened = client.post("/v1/cases", headers=h, json={
        "id": "case1", "customer": "cc", "subject": "charge", "subject_id": "chc",
        "reason": "duplicate_charge", "payment": "pc"})  # fmt: skip
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["state"] != "received"  # intake moved it on: asked, reviewed or decided
    if case["state"] == "awaiting_information":
        assert case["detail"]["missing"]  # and it says what it needs
    else:
        assert case["detail"]["decision_id"]
    events = client.get("/v1/cases/case1/events", headers=h).json()["data"]
    assert events[0]["kind"] == "opened" and events[0]["actor"].startswith("api:")
    listed = client.get("/v1/cases", params={"open": "true"}, headers=h).json()["data"]
    assert [c["id"] for c in listed] == (["case1"] if case["state"] in OPEN else [])
    again = client.post("/v1/cases/case1/withdraw", json={}, headers=h)
    assert again.status_code in (200, 409)  # withdrawn if still open, else refused
    assert client.get("/v1/cases/case1", headers=h).json()["id"] == "case1"


OPEN = {"received", "awaiting_information", "in_review", "decided", "awaiting_acceptance",
        "paying", "appealed", "escalated", "mediation"}  # fmt: skip


def _walk_http(
    client: TestClient, path: str, h: dict[str, str], limit: int, cursor: str = "id"
) -> list[str]:
    """Every item's cursor field, page after page of at most ``limit``."""
    seen: list[str] = []
    params: dict[str, object] = {"limit": limit}
    for _ in range(200):
        page = client.get(path, params=params, headers=h).json()
        assert len(page["data"]) <= limit, path
        seen += [str(x[cursor]) for x in page["data"]]
        if not page["has_more"]:
            return seen
        params = {"limit": limit, "starting_after": seen[-1]}
    raise AssertionError(f"{path} never ended")


def test_cases_and_the_journal_page_through_http(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    client.post("/v1/customers", json={"id": "cp"}, headers=h)
    for n in (4, 1, 3, 5, 2):
        charge = {"id": f"chp{n}", "customer": "cp", "amount": f"{n}0.00", "currency": "ZAR",
                  "at": f"2026-05-0{n}T09:00:00Z"}  # fmt: skip
        assert client.post("/v1/charges", json=charge, headers=h).status_code == 201
        opened = client.post("/v1/cases", headers=h, json={
            "id": f"casep{n}", "customer": "cp", "subject": "charge", "subject_id": f"chp{n}",
            "reason": "duplicate_charge"})  # fmt: skip
        assert opened.status_code == 201, opened.text
    whole = _walk_http(client, "/v1/cases", h, 100)
    assert whole == sorted(whole) and {f"casep{n}" for n in range(1, 6)} <= set(whole)
    assert _walk_http(client, "/v1/cases", h, 2) == whole
    journal = _walk_http(client, "/v1/reports/journal", h, 100)
    assert len(journal) >= 5 and len(set(journal)) == len(journal)
    assert _walk_http(client, "/v1/reports/journal", h, 2) == journal


def test_histories_and_a_customers_subscriptions_page_too(client: TestClient, keys: Keys) -> None:
    h = auth(keys.admin)
    client.post("/v1/customers", json={"id": "cs"}, headers=h)
    plan = {"id": "pl-p", "tier": 1, "cycle": "monthly", "price": "99.00", "currency": "ZAR"}
    assert client.post("/v1/plans", json=plan, headers=h).status_code == 201
    for sid in ("sub-b", "sub-a", "sub-c"):
        made = client.post("/v1/subscriptions", headers=h, json={
            "id": sid, "customer": "cs", "plan": "pl-p", "at": "2026-05-20T00:00:00Z"})  # fmt: skip
        assert made.status_code == 201, made.text
    assert client.post("/v1/subscriptions/sub-a/cancel", json={}, headers=h).status_code == 200
    subs = _walk_http(client, "/v1/customers/cs/subscriptions", h, 100)
    assert sorted(subs) == ["sub-a", "sub-b", "sub-c"]
    assert _walk_http(client, "/v1/customers/cs/subscriptions", h, 1) == subs
    every = _walk_http(client, "/v1/subscriptions", h, 100)  # the tenant's, by id
    assert (
        every == ["sub-a", "sub-b", "sub-c"]
        and _walk_http(client, "/v1/subscriptions", h, 1) == every
    )
    ending = client.get("/v1/subscriptions", headers=h, params={"state": "cancel_pending"}).json()
    assert [x["id"] for x in ending["data"]] == ["sub-a"] and ending["has_more"] is False
    active = client.get("/v1/subscriptions", headers=h, params={"state": "active"}).json()
    assert [x["id"] for x in active["data"]] == ["sub-b", "sub-c"]
    assert active["data"][0]["detail"]["plan"]["code"] == "pl-p"  # the whole subscription
    bad = client.get("/v1/subscriptions", headers=h, params={"state": "paused"})
    assert bad.status_code == 422 and bad.json()["where"] == "query.state"
    history = _walk_http(client, "/v1/subscriptions/sub-a/history", h, 100, "seq")
    assert len(history) >= 2 and [int(x) for x in history] == sorted(int(x) for x in history)
    assert _walk_http(client, "/v1/subscriptions/sub-a/history", h, 1, "seq") == history
    charge = {"id": "chs", "customer": "cs", "amount": "10.00", "currency": "ZAR"}
    assert client.post("/v1/charges", json=charge, headers=h).status_code == 201
    case = {"id": "case-s", "customer": "cs", "subject": "charge", "subject_id": "chs",
            "reason": "duplicate_charge"}  # fmt: skip
    assert client.post("/v1/cases", json=case, headers=h).status_code == 201
    events = _walk_http(client, "/v1/cases/case-s/events", h, 100, "seq")
    assert len(events) >= 2
    assert _walk_http(client, "/v1/cases/case-s/events", h, 1, "seq") == events


@pytest.mark.parametrize(
    "path",
    [
        "/v1/cases/case-b/events",
        "/v1/subscriptions/sub-b/history",
        "/v1/customers/cb/subscriptions",
    ],
)
@pytest.mark.parametrize(
    ("params", "where"),
    [({"limit": 0}, "query.limit"), ({"limit": 101}, "query.limit"),
     ({"starting_after": "x" * 300}, "query.starting_after")],
)  # fmt: skip
def test_the_new_list_parameters_refuse_bad_values_clearly(
    client: TestClient, keys: Keys, path: str, params: dict[str, object], where: str
) -> None:
    r = client.get(path, params=params, headers=auth(keys.read_only))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert r.json()["where"] == where
