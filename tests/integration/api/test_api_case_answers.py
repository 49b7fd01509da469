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


def test_intake_answers_with_the_case_as_stored(app: App, client: TestClient, keys: Keys) -> None:
    h = auth(keys.agent)
    with write_transactions(app) as writes, reads_back(app) as read:
        opened = client.post("/v1/cases", json=INTAKE, headers=h)
    assert opened.status_code == 201, opened.text
    assert read == []
    assert opened.json() == client.get("/v1/cases/k1", headers=h).json()
    if app.engine is not None and app.engine.dialect.name == "sqlite":
        assert writes == [1]  # the command's transaction; the answer is not read back


def test_a_case_action_answers_with_the_case_as_stored(
    app: App, client: TestClient, keys: Keys
) -> None:
    h = auth(keys.agent)
    assert client.post("/v1/cases", json={**INTAKE, "id": "k2"}, headers=h).status_code == 201
    answers = {"information": {"account": "a", "transaction": "t", "explanation": "twice"}}
    with write_transactions(app) as writes, reads_back(app) as read:
        acted = client.post("/v1/cases/k2/information", json=answers, headers=h)
    assert acted.status_code == 200, acted.text
    assert read == []
    assert acted.json() == client.get("/v1/cases/k2", headers=h).json()
    if app.engine is not None and app.engine.dialect.name == "sqlite":
        assert writes == [1]


def test_a_replayed_intake_still_answers_with_the_case(
    app: App, client: TestClient, keys: Keys
) -> None:
    """A retry with the same Idempotency-Key gets the first answer again."""
    h = {**auth(keys.agent), "Idempotency-Key": "intake-k3"}
    first = client.post("/v1/cases", json={**INTAKE, "id": "k3"}, headers=h)
    again = client.post("/v1/cases", json={**INTAKE, "id": "k3"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == client.get("/v1/cases/k3", headers=h).json()
