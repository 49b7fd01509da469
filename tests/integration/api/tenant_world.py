"""A tenant with one of everything, made through the API itself, for the isolation matrix and
the resource tests: customer, charge, payment, recorded decision, refund, wallet top-up,
credit lot, usage event, chargeback (and the hold it opens), test clock, a spare API key."""

from __future__ import annotations

from dataclasses import dataclass

from api_helpers import auth, duplicate_charge
from fastapi.testclient import TestClient

MARK = "777.77"  # an amount only tenant A's data holds: never in another tenant's answers


@dataclass(frozen=True)
class World:
    customer: str = "cust-a"
    charge: str = "charge-a"
    payment: str = "pay-a"
    decision: str = "dec-a"
    refund: str = "ref-a"
    topup: str = "topup-a"
    lot: str = "lot-a"
    event: str = "use-a"
    dispute: str = "disp-a"
    clock: str = "clock-a"
    plan: str = "plan-a"
    subscription: str = "sub-a"
    case: str = "case-a"
    hold: str = ""
    spare_key: str = ""


def build(client: TestClient, admin: str) -> World:
    w = World()
    h = auth(admin)

    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        r = client.post(path, json=body, headers=h)
        assert r.status_code in (200, 201), (path, r.text)
        found: dict[str, object] = r.json()
        return found

    post("/v1/customers", {"id": w.customer})
    post("/v1/charges", {"id": w.charge, "customer": w.customer, "amount": MARK,
                         "currency": "ZAR", "memo": "tenant A"})  # fmt: skip
    post("/v1/payments", {"id": w.payment, "customer": w.customer, "amount": MARK,
                          "currency": "ZAR", "method": "card", "provider": "stripe"})  # fmt: skip
    request = duplicate_charge()
    request["charge"] = {**request["charge"], "amount": "120.00"}  # type: ignore[dict-item]
    post("/v1/decisions", {"id": w.decision, "customer": w.customer, "request": request})
    post("/v1/refunds", {"id": w.refund, "payment": w.payment, "decision": w.decision})
    eft = {"currency": "ZAR", "method": "eft", "provider": "bank"}
    post("/v1/wallet_top_ups", {"id": w.topup, "customer": w.customer, "amount": "500.00", **eft})
    lot = {"units": 1000, "price": "100.00", "currency": "ZAR", "paid_from": "wallet"}
    post("/v1/credit_lots", {"id": w.lot, "customer": w.customer, **lot})
    post("/v1/usage_events", {"events": [{"id": w.event, "customer": w.customer, "units": 5}]})
    cb = post("/v1/chargebacks", {"id": w.dispute, "payment": w.payment, "amount": "10.00",
                                  "currency": "ZAR"})  # fmt: skip
    hold = str(cb["details"].get("hold_id", "no-hold"))  # type: ignore[union-attr]
    post("/v1/test_clocks", {"id": w.clock, "frozen_time": "2026-06-01T00:00:00Z"})
    spare = post("/v1/api_keys", {"role": "read_only", "name": "spare"})
    post("/v1/cases", {"id": w.case, "customer": w.customer, "subject": "charge",
                       "subject_id": w.charge, "reason": "duplicate_charge",
                       "payment": w.payment})  # fmt: skip
    post("/v1/plans", {"id": w.plan, "tier": 1, "cycle": "monthly", "price": MARK,
                       "currency": "ZAR"})  # fmt: skip
    post("/v1/subscriptions", {"id": w.subscription, "customer": w.customer, "plan": w.plan,
                               "at": "2026-05-20T00:00:00Z"})  # fmt: skip
    return World(hold=hold, spare_key=str(spare["id"]))
