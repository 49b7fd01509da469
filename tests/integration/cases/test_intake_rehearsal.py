"""Intake's decision is made before the write transaction on SQLite (issue 11), and used
only when the transaction reads the same inputs: a rehearsal made from anything else (a
request built from other facts, another policy version) is ignored and the decision is made
again inside the transaction, from what it reads there."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from casefakes import Reason, Subject, open_case, policy_tenant
from refundable.adapters.db.writer_gate import gate_for
from refundable.bootstrap import App
from refundable.core.time import UTC
from refundable.service import bus
from refundable.service import case_handlers as handlers
from refundable.service import commands as c

AT = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
ANSWERS = {"account": "a", "transaction": "t", "explanation": "charged twice"}


def _intake(app: App, tenant: str) -> tuple[str, str]:
    """A case the policy decides at intake; its decision's stored body."""
    case_id, receipt = open_case(app, tenant, "cu", Subject.account, "cu",
                                 Reason.duplicate_charge, AT, information=ANSWERS)  # fmt: skip
    decision_id = receipt.details[handlers.Detail.decision_id]
    with app.db.connect() as conn:
        body = conn.execute(
            text("SELECT body FROM decisions WHERE tenant_id = :t AND decision_id = :d"),
            {"t": tenant, "d": decision_id},
        ).scalar_one()
    return case_id, str(body)


def _rehearsing(monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], Any]) -> None:
    real = bus.REHEARSALS[c.OpenCase]
    monkeypatch.setitem(bus.REHEARSALS, c.OpenCase, lambda cmd, ctx: change(real(cmd, ctx)))


def test_intake_decides_outside_the_write_lock(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = policy_tenant(sqlite_app, "conek")
    gate = gate_for(sqlite_app.db.url.database)
    held: list[bool] = []
    decide = handlers.decide_for_tenant

    def watched(*args: Any) -> Any:
        held.append(gate.queue._held)
        return decide(*args)

    monkeypatch.setattr(handlers, "decide_for_tenant", watched)
    _intake(sqlite_app, tenant)
    assert held == [False]  # decided once, before the write transaction, and not again in it


@pytest.mark.parametrize(
    "stale",
    [
        pytest.param(
            lambda r: dataclasses.replace(
                r, request=r.request.model_copy(update={"written": False})
            ),
            id="other-facts",
        ),
        pytest.param(
            lambda r: dataclasses.replace(r, policy=dataclasses.replace(r.policy)),
            id="other-policy",
        ),
    ],
)
def test_a_rehearsal_from_other_inputs_is_ignored(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch, stale: Callable[[Any], Any]
) -> None:
    tenant = policy_tenant(sqlite_app, "conek")
    _, expected = _intake(sqlite_app, tenant)  # decided as the store stands
    bogus = "{}"

    def tampered(r: Any) -> Any:
        assert isinstance(r, handlers.Rehearsed)
        return dataclasses.replace(stale(r), body=bogus)

    _rehearsing(monkeypatch, tampered)
    _, body = _intake(sqlite_app, tenant)
    assert body != bogus
    assert _same_but_ids(body, expected)


def _same_but_ids(body: str, expected: str) -> bool:
    import json

    def plain(text_: str) -> Any:
        found = json.loads(text_)
        found.pop("request", None)  # names the case's own customer and charge ids
        return found

    return bool(plain(body) == plain(expected))
