"""A new case may name only the case customer's own records (ADR 0086), over HTTP on SQLite
and PostgreSQL: a payment, charge or usage event of another customer, or another customer's
account, is refused at intake as if it did not exist (404), and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Keys, auth
from fastapi.testclient import TestClient


def _world(client: TestClient, h: dict[str, str]) -> None:
    """Alice has a charge, a payment and a usage event; Bob has a charge."""
    for cid in ("alice", "bob"):
        charge = {"id": f"{cid}-ch", "customer": cid, "amount": "10.00", "currency": "ZAR"}
        assert client.post("/v1/charges", json=charge, headers=h).status_code == 201
    pay = {"id": "alice-pay", "customer": "alice", "amount": "10.00", "currency": "ZAR",
           "method": "card", "provider": "psp"}  # fmt: skip
    r = client.post("/v1/payments", json=pay, headers=h)
    assert r.status_code == 201, r.text
    lot = {"id": "alice-lot", "customer": "alice", "units": 10, "price": "10.00",
           "currency": "ZAR"}  # fmt: skip
    r = client.post("/v1/credit_lots", json=lot, headers=h)
    assert r.status_code == 201, r.text
    used = {"events": [{"id": "alice-use", "customer": "alice", "units": 2}]}
    r = client.post("/v1/usage_events", json=used, headers=h)
    assert r.status_code == 200, r.text


INTAKE = {"customer": "bob", "reason": "duplicate_charge",
          "information": {"account": "a", "transaction": "t", "explanation": "twice"}}  # fmt: skip

USAGE = {"facts": {"charge": {"kind": "usage"}}}  # what a charge was for is not stored
FOREIGN = [
    ("account, another's payment", {"subject": "account", "subject_id": "bob",
                                    "payment": "alice-pay"}, "alice-pay"),
    ("charge, another's payment", {"subject": "charge", "subject_id": "bob-ch",
                                   "payment": "alice-pay"}, "alice-pay"),
    ("charge of another", {"subject": "charge", "subject_id": "alice-ch"}, "alice-ch"),
    ("payment of another", {"subject": "payment", "subject_id": "alice-pay"}, "alice-pay"),
    ("usage event of another", {"subject": "usage_event", "subject_id": "alice-use"},
     "alice-use"),
    ("usage event, another's payment", {"subject": "usage_event", "subject_id": "no-use",
                                        "payment": "alice-pay"}, "no-use"),
]  # fmt: skip


def _nothing_written(client: TestClient, h: dict[str, str]) -> None:
    assert client.get("/v1/cases/k-foreign", headers=h).status_code == 404
    assert client.get("/v1/cases", headers=h).json()["data"] == []


@pytest.mark.parametrize(("what", "named", "ident"), FOREIGN, ids=[f[0] for f in FOREIGN])
def test_a_case_naming_another_customers_record_is_refused_and_writes_nothing(
    client: TestClient, keys: Keys, what: str, named: dict[str, Any], ident: str
) -> None:
    h = auth(keys.agent)
    _world(client, h)
    r = client.post("/v1/cases", json={**INTAKE, **named, "id": "k-foreign"}, headers=h)
    assert r.status_code == 404, (what, r.text)
    body = r.json()
    assert body["code"] == "not_found" and ident in body["detail"] and "bob" in body["detail"]
    assert "alice" not in body["detail"].replace(ident, "")  # who owns it is not said
    _nothing_written(client, h)


def test_an_account_case_is_about_the_customers_own_account(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    _world(client, h)
    body = {**INTAKE, "id": "k-foreign", "subject": "account", "subject_id": "alice"}
    r = client.post("/v1/cases", json=body, headers=h)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["where"].endswith("subject_id") and "'bob'" in problem["allowed"]
    _nothing_written(client, h)


def test_another_customers_record_gets_the_answer_an_unknown_one_gets(
    client: TestClient, keys: Keys
) -> None:
    """Even while its owner has a case open on it (no "already open" names their case)."""
    h = auth(keys.agent)
    _world(client, h)
    alices = {**INTAKE, "id": "k-alice", "customer": "alice", "subject": "charge",
              "subject_id": "alice-ch", "payment": "alice-pay", **USAGE}  # fmt: skip
    opened = client.post("/v1/cases", json=alices, headers=h)
    assert opened.status_code == 201, opened.text
    theirs = client.post("/v1/cases", headers=h, json={**INTAKE, "id": "k1",
                         "subject": "charge", "subject_id": "alice-ch"}).json()  # fmt: skip
    unknown = client.post("/v1/cases", headers=h, json={**INTAKE, "id": "k1",
                          "subject": "charge", "subject_id": "nobody-ch"}).json()  # fmt: skip
    unknown.pop("request_id"), theirs.pop("request_id")
    assert theirs == {**unknown, "detail": unknown["detail"].replace("nobody-ch", "alice-ch")}


def test_the_customers_own_records_open_cases(client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    _world(client, h)
    own = [
        {"subject": "account", "subject_id": "alice", "payment": "alice-pay"},
        {"subject": "charge", "subject_id": "alice-ch", "payment": "alice-pay", **USAGE},
        {"subject": "payment", "subject_id": "alice-pay", "reason": "service_outage", **USAGE},
        {"subject": "usage_event", "subject_id": "alice-use", "reason": "service_outage"},
    ]
    for n, named in enumerate(own):
        body = {**INTAKE, "customer": "alice", "id": f"k-own-{n}", **named}
        r = client.post("/v1/cases", json=body, headers=h)
        assert r.status_code == 201, (named, r.text)
