"""``refundable_decisions_total`` counts every decision this process makes, once, by kind,
outcome and remedy, however it was asked for: the API's routes, the console's preview, a
command sent on the process's bus (CLI, portal, console actions, scheduled work). ADR 0084."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from casefakes import charge_and_pay, seeded, zar
from fakes import TENANT, memory_app
from refundable.cases.model import Subject
from refundable.config import Settings
from refundable.core.time import UTC
from refundable.entrypoints.api.app import create_app
from refundable.entrypoints.api.metrics import Metrics
from refundable.entrypoints.web import seed_demo_logins
from refundable.policy.document import Outcome, Remedy
from refundable.policy.facts import Reason
from refundable.service import commands as c
from refundable.service.access import Role, create_key
from webpages import csrf, sign_in

AT = datetime(2026, 6, 3, 10, tzinfo=UTC)
MP = "myprotektor"
INFO = {"account": "ops@example.test Example", "explanation": "see logs", "evidence": "log"}
FACTS = {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True}}
PREVIEW = (
    "requested_at: 2026-03-03T09:00:00+00:00\nreason: duplicate_charge\n"
    "charge: {kind: subscription, amount: '100.00', currency: ZAR, "
    "charged_at: 2026-03-01T09:00:00+00:00}\n"
)


def _count(metrics: Metrics, kind: str, outcome: str, remedy: str) -> float:
    labels = {"kind": kind, "outcome": outcome, "remedy": remedy}
    return metrics.registry.get_sample_value("refundable_decisions_total", labels) or 0.0


def test_every_decision_made_counts_once_by_kind_outcome_and_remedy(tmp_path: Path) -> None:
    app = seeded(memory_app())
    seed_demo_logins(app, tenants=[TENANT])
    api = create_app(app, Settings(data_dir=tmp_path))
    metrics: Metrics = api.state.api.metrics
    http = TestClient(api)

    assert sign_in(http, TENANT, "agent@acme.example") == 303  # the console's preview
    token = csrf(http, "/console/policy")
    tried = http.post("/console/policy/preview", data={"csrf_token": token, "request": PREVIEW})
    assert tried.status_code == 200
    assert _count(metrics, "preview", "approve", "refund") == 1

    state = api.state.api  # the API's recorded decision (its route counts nothing itself)
    key = create_key(state.keys, TENANT, Role.agent, "test", AT)
    body = {"id": "d-api", "customer": "C1", "request": {
        "requested_at": "2026-03-03T09:00:00+00:00", "reason": "duplicate_charge",
        "charge": {"kind": "subscription", "amount": "120.00", "currency": "ZAR",
                   "charged_at": "2026-03-01T09:00:00+00:00"}}}  # fmt: skip
    made = http.post("/v1/decisions", json=body, headers={"Authorization": f"Bearer {key}"})
    assert made.status_code == 201, made.text
    assert _count(metrics, "recorded", "approve", "refund") == 1

    # commands on the process's bus, as the portal, the console's case actions or the CLI send
    ch, p = charge_and_pay(app, MP, "cu1", zar("900.00"), AT - timedelta(days=1))
    opened = c.OpenCase(MP, "k-open", "case1", "cu1", Subject.charge, ch, Reason.change_of_mind,
                        AT, "customer:cu1", INFO, FACTS, p)  # fmt: skip
    app.bus.handle(opened)
    intake = sum(_count(metrics, "recorded", o.value, r.value) for o in Outcome for r in Remedy)
    assert intake == 2  # the API's, and the case's proposal waiting in review
    app.bus.handle(c.JudgeCase(MP, "k-judge", "case1", Outcome.deny, AT, "agent:a", note="no"))
    assert _count(metrics, "recorded", "deny", "none") == 1  # a denial pays nothing (ADR 0081)
    app.bus.handle(c.OverrideDecision(MP, "k-over", "case1", Outcome.approve, "goodwill", AT,
                                      "agent:a", Remedy.account_credit))  # fmt: skip
    assert _count(metrics, "recorded", "approve", "account_credit") == 1
    total = sum(_count(metrics, "recorded", o.value, r.value) for o in Outcome for r in Remedy)
    assert total == 4  # the API's, the intake's, the judgement, the override: once each

    app.bus.handle(c.JudgeCase(MP, "k-judge", "case1", Outcome.deny, AT, "agent:a", note="no"))
    again = sum(_count(metrics, "recorded", o.value, r.value) for o in Outcome for r in Remedy)
    assert again == total  # a replayed command decided nothing new
    assert 'kind="recorded"' in http.get("/metrics").text
