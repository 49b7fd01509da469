"""The tenant-isolation and role matrix, on SQLite and PostgreSQL, over EVERY operation of the
OpenAPI document (a new route that is not classified here fails the first test):

* without a key: 401, and nothing written;
* with a key whose role is below the operation's: 403, and nothing written;
* with a sufficient role of the tenant: never 401/403;
* with another tenant's admin key, aimed at tenant A's ids: 404 or a refusal, never A's data,
  and tenant A's ledger, keys and clock exactly as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from api_helpers import Keys, auth
from fastapi.testclient import TestClient
from tenant_world import MARK, World, build

from refundable.bootstrap import App
from refundable.service.access import Role

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("POST", "/v1/gateway/stripe/{tenant_id}/events"),  # signed by Stripe, no API key
}
R, A, ADM = Role.read_only, Role.agent, Role.admin
NEEDS: dict[tuple[str, str], Role] = {
    ("POST", "/v1/decisions/preview"): R,
    ("POST", "/v1/decisions"): A,
    ("GET", "/v1/decisions"): R,
    ("GET", "/v1/decisions/{decision_id}"): R,
    ("POST", "/v1/customers"): A,
    ("GET", "/v1/customers"): R,
    ("GET", "/v1/customers/{customer_id}"): R,
    ("GET", "/v1/customers/{customer_id}/balances"): R,
    ("GET", "/v1/customers/{customer_id}/statement"): R,
    ("GET", "/v1/customers/{customer_id}/credit_lots"): R,
    ("POST", "/v1/charges"): A,
    ("GET", "/v1/charges"): R,
    ("GET", "/v1/charges/{charge_id}"): R,
    ("POST", "/v1/payments"): A,
    ("GET", "/v1/payments"): R,
    ("GET", "/v1/payments/{payment_id}"): R,
    ("POST", "/v1/wallet_top_ups"): A,
    ("POST", "/v1/transfers"): A,
    ("POST", "/v1/refunds"): A,
    ("POST", "/v1/account_credits"): A,
    ("POST", "/v1/fees"): A,
    ("POST", "/v1/chargebacks"): A,
    ("POST", "/v1/holds/{hold_id}/release"): A,
    ("POST", "/v1/credit_lots"): A,
    ("GET", "/v1/credit_lots"): R,
    ("GET", "/v1/credit_lots/{lot_id}"): R,
    ("POST", "/v1/usage_events"): A,
    ("GET", "/v1/usage_events/{event_id}"): R,
    ("POST", "/v1/usage_events/{event_id}/failure"): A,
    ("POST", "/v1/test_clocks"): ADM,
    ("GET", "/v1/test_clocks/{clock_id}"): R,
    ("POST", "/v1/test_clocks/{clock_id}/advance"): ADM,
    ("POST", "/v1/policies/validate"): R,
    ("POST", "/v1/policies/scenarios"): R,
    ("POST", "/v1/policies/coverage"): R,
    ("POST", "/v1/policies/versions"): ADM,
    ("GET", "/v1/policies/versions"): R,
    ("GET", "/v1/reports/balances"): R,
    ("GET", "/v1/reports/journal"): R,
    ("POST", "/v1/api_keys"): ADM,
    ("GET", "/v1/api_keys"): ADM,
    ("POST", "/v1/api_keys/{key_id}/revoke"): ADM,
    ("POST", "/v1/plans"): ADM,
    ("POST", "/v1/cases"): A,
    ("GET", "/v1/cases"): R,
    ("GET", "/v1/cases/{case_id}"): R,
    ("GET", "/v1/cases/{case_id}/events"): R,
    **{
        ("POST", f"/v1/cases/{{case_id}}/{action}"): A
        for action in (
            "information",
            "judge",
            "override",
            "withdraw",
            "appeal",
            "escalate",
            "uphold",
            "accept_settlement",
            "paid",
        )
    },
    ("POST", "/v1/subscriptions"): A,
    ("GET", "/v1/subscriptions"): R,
    ("GET", "/v1/subscriptions/{subscription_id}"): R,
    ("GET", "/v1/subscriptions/{subscription_id}/history"): R,
    ("GET", "/v1/customers/{customer_id}/subscriptions"): R,
    ("GET", "/v1/customers/{customer_id}/entitlements"): R,
    **{
        ("POST", f"/v1/subscriptions/{{subscription_id}}/{action}"): A
        for action in (
            "upgrade",
            "downgrade",
            "downgrade/withdraw",
            "cancel",
            "cancel/undo",
            "terminate",
            "reactivate",
            "renewal_payments",
            "payment_failures",
            "suspend",
        )
    },
}


def operations(client: TestClient) -> set[tuple[str, str]]:
    doc = client.get("/openapi.json").json()
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}


def path_of(template: str, w: World) -> str:
    ids = {"decision_id": w.decision, "customer_id": w.customer, "payment_id": w.payment,
           "charge_id": w.charge,
           "hold_id": w.hold, "lot_id": w.lot, "event_id": w.event, "clock_id": w.clock,
           "key_id": w.spare_key, "subscription_id": w.subscription, "case_id": w.case}  # fmt: skip
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


def body_of(path: str, w: World) -> dict[str, Any]:
    """A body aimed at tenant A's objects (ids that exist only in A)."""
    money = {"amount": "1.00", "currency": "ZAR"}
    bodies: dict[str, dict[str, Any]] = {
        "/v1/decisions": {"id": "dec-x", "customer": w.customer, "request": {}},
        "/v1/charges": {"id": "ch-x", "customer": w.customer, **money},
        "/v1/payments": {"id": "p-x", "customer": w.customer, "method": "eft",
                         "provider": "bank", **money},
        "/v1/wallet_top_ups": {"id": "t-x", "customer": w.customer, "method": "eft",
                               "provider": "bank", **money},
        "/v1/transfers": {"id": "tr-x", "from_customer": w.customer, "to_customer": "other",
                          **money},
        "/v1/refunds": {"id": "r-x", "payment": w.payment, "decision": w.decision},
        "/v1/account_credits": {"id": "g-x", "customer": w.customer, "decision": w.decision},
        "/v1/fees": {"id": "f-x", "customer": w.customer, "decision": w.decision},
        "/v1/chargebacks": {"id": "cb-x", "payment": w.payment, **money},
        "/v1/credit_lots": {"id": "l-x", "customer": w.customer, "units": 1, "price": "1.00",
                            "currency": "ZAR"},
        "/v1/usage_events": {"events": [{"id": "u-x", "customer": w.customer, "units": 1}]},
        "/v1/test_clocks": {"id": "c-x", "frozen_time": "2026-06-01T00:00:00Z"},
        "/v1/api_keys": {"role": "admin", "name": "x"},
        "/v1/customers": {"id": "cust-x"},
        "/v1/policies/validate": {"text": "policy: x"},
        "/v1/policies/scenarios": {"text": "policy: x", "scenarios": "scenarios: []"},
        "/v1/policies/coverage": {"text": "policy: x", "scenarios": "scenarios: []"},
        "/v1/policies/versions": {"text": "policy: x"},
        "/v1/decisions/preview": {"requested_at": "2026-03-03T09:00:00Z"},
        "/v1/plans": {"id": "plan-x", "tier": 2, "cycle": "annual", "price": "9.00",
                      "currency": "ZAR"},
        "/v1/subscriptions": {"id": "sub-x", "customer": w.customer, "plan": w.plan},
        "/v1/cases": {"id": "case-x", "customer": w.customer, "subject": "charge",
                      "subject_id": w.charge, "reason": "billing_error"},
    }  # fmt: skip
    if path.endswith("/release"):
        return {"resolution": "won"}
    if path.endswith("/failure"):
        return {"cause": "provider"}
    if path.endswith("/advance"):
        return {"frozen_time": "2026-07-01T00:00:00Z"}
    if path.endswith("/revoke"):
        return {}
    if path.startswith("/v1/cases/"):
        return {
            "judge": {"outcome": "approve"},
            "paid": {"refund_id": "rf-x"},
            "override": {"outcome": "deny", "reason": "x"},
        }.get(path.rsplit("}/", 1)[1], {})
    if path.startswith("/v1/subscriptions/"):
        return _subscription_body(path.rsplit("}/", 1)[1], w)
    return bodies[path]


def _subscription_body(action: str, w: World) -> dict[str, Any]:
    return {"upgrade": {"plan": w.plan}, "downgrade": {"plan": w.plan},
            "reactivate": {"plan": w.plan}, "terminate": {"reason": "fraud"},
            "renewal_payments": {"payment_id": "rp-x", "amount": "1.00", "currency": "ZAR",
                                 "method": "eft", "provider": "bank"},
            }.get(action, {})  # fmt: skip


def call(client: TestClient, op: tuple[str, str], w: World, key: str | None) -> Any:
    method, template = op
    path = path_of(template, w)
    headers = auth(key) if key else {}
    if method == "GET":
        return client.get(path, headers=headers, params={"feature": "sms"})
    return client.post(path, json=body_of(template, w), headers=headers)


def snapshot(app: App, client: TestClient, tenant: str, w: World) -> str:
    """Everything of tenant A a request could change: ledger, keys, clock, case, subscription."""
    api = client.app.state.api  # type: ignore[attr-defined]
    keys = [(k.key_id, k.revoked_at) for k in api.keys.of_tenant(tenant)]
    assert app.cases_read is not None
    return repr((app.queries.journal(tenant), app.queries.balances(tenant), keys,
                 app.work.test_clock(tenant), app.cases_read.case(tenant, w.case),
                 app.cases_read.events(tenant, w.case),
                 app.subscriptions.record(tenant, w.subscription)))  # fmt: skip


def test_every_operation_is_classified(client: TestClient) -> None:
    assert operations(client) == set(NEEDS) | PUBLIC


@pytest.fixture
def world(client: TestClient, keys: Keys) -> World:
    return build(client, keys.admin)


def test_no_key_and_too_low_a_role_are_refused_and_write_nothing(
    app: App, client: TestClient, keys: Keys, world: World
) -> None:
    before = snapshot(app, client, keys.tenant, world)
    for op, needed in NEEDS.items():
        assert call(client, op, world, None).status_code == 401, op
        for role in Role:
            if not role.allows(needed):
                r = call(client, op, world, keys.of(role))
                assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (op, role)
    assert snapshot(app, client, keys.tenant, world) == before


def test_sufficient_roles_are_let_through(client: TestClient, keys: Keys, world: World) -> None:
    for op, needed in NEEDS.items():
        for role in Role:
            if role.allows(needed):
                r = call(client, op, world, keys.of(role))
                assert r.status_code not in (401, 403), (op, role, r.text)


def test_another_tenants_key_never_reads_or_changes_tenant_a(
    app: App, client: TestClient, keys: Keys, world: World
) -> None:
    before = snapshot(app, client, keys.tenant, world)
    # reads first: a write of B's naming A's customer id (a charge to "cust-a") makes a
    # customer of B's own by that id (ADR 0083), whose reads then answer B's data, not A's
    for op in sorted(NEEDS, key=lambda op: op[0] == "POST"):
        r = call(client, op, world, keys.other_admin)
        body = body_of(op[1], world) if op[0] == "POST" else {}
        sent = path_of(op[1], world) + json.dumps(body)
        for marker in (MARK, world.spare_key, keys.tenant):  # only as B's own words echoed
            assert marker not in r.text or marker in sent, (op, marker, r.text)
        if "{" in op[1]:  # aimed at one of A's objects by id: not found for B
            assert r.status_code == 404, (op, r.status_code, r.text)
    for tail in ("", "/balances", "/statement", "/credit_lots", "/subscriptions"):
        r = client.get(f"/v1/customers/{world.customer}{tail}", headers=auth(keys.other_admin))
        assert MARK not in r.text and keys.tenant not in r.text, (tail, r.text)
    assert snapshot(app, client, keys.tenant, world) == before


def test_tenant_a_reads_its_own_objects(client: TestClient, keys: Keys, world: World) -> None:
    """The 404s above are not vacuous: the same ids answer tenant A."""
    for (method, template), _ in NEEDS.items():
        if method == "GET" and "{" in template:
            r = client.get(path_of(template, world), headers=auth(keys.read_only),
                           params={"feature": "sms"})  # fmt: skip
            assert r.status_code == 200, (template, r.text)
    for listing in ("/v1/payments", "/v1/charges", "/v1/subscriptions"):
        listed = client.get(listing, headers=auth(keys.read_only)).json()
        assert MARK in json.dumps(listed), listing
