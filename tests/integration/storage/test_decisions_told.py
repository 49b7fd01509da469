"""Every decision a committed command recorded is told once to the bus's watchers (ADR 0084):
whichever handler recorded it, alone or in a group commit (rehearsed on SQLite), never for
a replayed key, a refused command or a step undone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from fakes import customer, duplicate_charge, open_tenant
from refundable.bootstrap import App
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c
from refundable.service.decisions import DecisionKind

Told = list[tuple[DecisionKind, Outcome, Remedy]]


@pytest.fixture
def told(any_app: App) -> Iterator[Told]:
    seen: Told = []

    def watch(kind: DecisionKind, outcome: Outcome, remedy: Remedy) -> None:
        seen.append((kind, outcome, remedy))

    any_app.bus.decision_watchers.append(watch)
    yield seen
    any_app.bus.decision_watchers.remove(watch)


def _tenant(app: App) -> str:
    tenant = f"t{uuid.uuid4().hex[:16]}"
    open_tenant(app, tenant)
    customer(app, tenant, "C1")
    return tenant


def _decide(tenant: str, key: str, decision_id: str, amount: str = "50.00") -> c.DecideRefund:
    return c.DecideRefund(tenant, key, decision_id, "C1", duplicate_charge(amount))


RECORDED = (DecisionKind.recorded, Outcome.approve, Remedy.refund)


def test_a_recorded_decision_is_told_once_and_a_replay_tells_nothing(
    any_app: App, told: Told
) -> None:
    tenant = _tenant(any_app)
    any_app.bus.handle(_decide(tenant, "k1", "d1"))
    any_app.bus.handle(_decide(tenant, "k1", "d1"))  # the same key: replayed
    assert told == [RECORDED]


def test_a_group_commit_tells_the_decisions_of_the_commands_it_kept(
    any_app: App, told: Told
) -> None:
    tenant = _tenant(any_app)
    results = any_app.bus.handle_batch(
        [
            _decide(tenant, "b1", "d1"),
            _decide(tenant, "b1", "d2", "60.00"),  # the key again, other payload: refused
            _decide(tenant, "b3", "d3"),
        ]
    )
    assert isinstance(results[1], Exception) and not isinstance(results[0], Exception)
    assert told == [RECORDED, RECORDED]


def test_a_step_undone_takes_its_decisions_out_of_the_list(any_app: App) -> None:
    tenant = _tenant(any_app)
    any_app.bus.handle(_decide(tenant, "k1", "d1"))
    with any_app.bus.uow_factory() as uow:
        record = uow.repositories(tenant).decisions.get("d1")
    assert record is not None
    with any_app.bus.uow_factory() as uow:
        repos = uow.repositories(tenant)
        with pytest.raises(RuntimeError), uow.step():
            repos.decisions.add(record.__class__(**{**_fields(record), "decision_id": "d9"}))
            raise RuntimeError("the command failed after recording")
        assert uow.decided == []


def _fields(record: object) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}  # type: ignore[arg-type]
