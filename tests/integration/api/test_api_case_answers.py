"""A case command answers with the case as the command left it, without reading it back
(issue 11): the answer to ``POST /v1/cases`` (and to a case action) is exactly what a later
``GET`` of the case shows, and on SQLite the request takes the write lock once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api_helpers import Keys, auth
from fastapi.testclient import TestClient
from sqlalchemy import event

from refundable.adapters.db.engine import READONLY
from refundable.bootstrap import App

INTAKE = {"id": "k1", "customer": "ck", "subject": "account", "subject_id": "ck",
          "reason": "duplicate_charge"}  # fmt: skip


@contextmanager
def reads_back(app: App) -> Iterator[list[str]]:
    """The cases read through the read side meanwhile."""
    read: list[str] = []
    reads = app.cases_read
    assert reads is not None
    inner = reads.case

    def case(tenant_id: str, case_id: str) -> Any:
        read.append(case_id)
        return inner(tenant_id, case_id)

    reads.case = case  # type: ignore[method-assign]
    try:
        yield read
    finally:
        del reads.case  # type: ignore[attr-defined]


@contextmanager
def write_transactions(app: App) -> Iterator[list[int]]:
    """How many write transactions start on the app's engine meanwhile."""
    count = [0]

    def began(conn: Any) -> None:
        if not conn.get_execution_options().get(READONLY, False):
            count[0] += 1

    engine = app.engine
    if engine is None:
        yield count
        return
    event.listen(engine, "begin", began)
    try:
        yield count
    finally:
        event.remove(engine, "begin", began)


def _answers_as_stored(
    app: App, client: TestClient, h: dict[str, str], path: str, body: Any, status: int, case: str
) -> None:
    """The command's answer is the case as stored, from one write transaction (on SQLite)
    and no read of the case after it."""
    with write_transactions(app) as writes, reads_back(app) as read:
        answered = client.post(path, json=body, headers=h)
    assert answered.status_code == status, answered.text
    assert read == []
    assert answered.json() == client.get(f"/v1/cases/{case}", headers=h).json()
    if app.engine is not None and app.engine.dialect.name == "sqlite":
        assert writes == [1]  # the command's transaction; the answer is not read back


def test_intake_answers_with_the_case_as_stored(app: App, client: TestClient, keys: Keys) -> None:
    _answers_as_stored(app, client, auth(keys.agent), "/v1/cases", INTAKE, 201, "k1")


def test_a_case_action_answers_with_the_case_as_stored(
    app: App, client: TestClient, keys: Keys
) -> None:
    h = auth(keys.agent)
    assert client.post("/v1/cases", json={**INTAKE, "id": "k2"}, headers=h).status_code == 201
    answers = {"information": {"account": "a", "transaction": "t", "explanation": "twice"}}
    _answers_as_stored(app, client, h, "/v1/cases/k2/information", answers, 200, "k2")


def test_a_replayed_intake_still_answers_with_the_case(
    app: App, client: TestClient, keys: Keys
) -> None:
    """A retry with the same Idempotency-Key gets the first answer again."""
    h = {**auth(keys.agent), "Idempotency-Key": "intake-k3"}
    first = client.post("/v1/cases", json={**INTAKE, "id": "k3"}, headers=h)
    again = client.post("/v1/cases", json={**INTAKE, "id": "k3"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == client.get("/v1/cases/k3", headers=h).json()
