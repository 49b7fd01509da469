"""IngestUsage checks a batch column by column (issue 7, ADR 0064), and falls back to one event
at a time only when a column fails. The column check may never let through what the
event-by-event check refuses, and the error must be the one that check gives for the first bad
event: here every kind of bad value, at a position deep in a batch, is compared with a plain
event-by-event reference written from the field rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

import pytest

from fakes import TENANT, at, lot, memory_app
from refundable.core import limits
from refundable.core.errors import IdempotencyConflict, InputError
from refundable.core.time import UTC
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c
from refundable.service.commands.base import bad, check_id, check_instant, check_int

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def reference(events: tuple[Any, ...]) -> InputError | None:
    """The rules, one event at a time: what the first bad event is refused with."""
    try:
        for ev in events:
            if not isinstance(ev, UsageEvent):
                raise bad("IngestUsage.events", ev, "UsageEvent records")
            check_id(ev.event_id, "events.event_id")
            check_int(ev.units, f"event {ev.event_id}.units", 1, limits.MAX_UNITS - 1)
            check_instant(ev.occurred_at, f"event {ev.event_id}.occurred_at")
        for customer in {ev.customer_id for ev in events}:
            check_id(customer, "events.customer_id")
    except InputError as err:
        return err
    return None


def good(n: int) -> list[Any]:
    return [
        UsageEvent(f"e{i}", f"C{i % 7}", 1 + i % 3, T0 + timedelta(minutes=i)) for i in range(n)
    ]


def ev(**change: Any) -> UsageEvent:
    fields: dict[str, Any] = {"event_id": "odd", "customer_id": "C1", "units": 1}
    return UsageEvent(**{**fields, "occurred_at": T0, **change})


BAD: list[tuple[str, Callable[[], Any]]] = [
    ("not an event", lambda: ("e", "C1", 1, T0)),
    ("event id too long", lambda: ev(event_id="x" * (limits.MAX_ID_LENGTH + 1))),
    ("event id with a space", lambda: ev(event_id="has space")),
    ("event id starting with a dash", lambda: ev(event_id="-x")),
    ("event id not text", lambda: ev(event_id=17)),
    ("event id empty", lambda: ev(event_id="")),
    ("zero units", lambda: ev(units=0)),
    ("negative units", lambda: ev(units=-1)),
    ("units of 10^12", lambda: ev(units=limits.MAX_UNITS)),
    ("units True", lambda: ev(units=True)),
    ("units 1.0", lambda: ev(units=1.0)),
    ("units as text", lambda: ev(units="1")),
    ("a naive instant", lambda: ev(occurred_at=T0.replace(tzinfo=None))),
    ("an instant in 2300", lambda: ev(occurred_at=datetime(2300, 1, 1, tzinfo=UTC))),
    ("an instant as text", lambda: ev(occurred_at="2026-03-01T09:00:00Z")),
    ("customer id too long", lambda: ev(customer_id="c" * (limits.MAX_ID_LENGTH + 1))),
    ("customer id with a slash", lambda: ev(customer_id="a/b")),
]  # fmt: skip


@pytest.mark.parametrize("later", [False, True], ids=["alone", "before another"])
@pytest.mark.parametrize(("what", "make"), BAD, ids=[w for w, _ in BAD])
def test_a_bad_event_deep_in_a_batch_gets_the_event_by_event_error(
    what: str, make: Callable[[], Any], later: bool
) -> None:
    """Alone, the bad value must be caught by the column check itself; before another bad
    event, the error must still name the first."""
    events = good(3000)
    events[2222] = make()
    if later:
        events[2900] = ev(event_id="later-bad-one", units=0)
    expected = reference(tuple(events))
    assert expected is not None, what
    with pytest.raises(InputError) as refused:
        c.IngestUsage(TENANT, tuple(events), T0)
    got = refused.value
    assert (got.code, got.message, got.where, got.allowed) == (
        expected.code, expected.message, expected.where, expected.allowed,
    )  # fmt: skip


class Units(IntEnum):
    one = 1


class Name(str):
    pass


class Event(UsageEvent):
    __slots__ = ()


def test_unusual_but_valid_events_still_pass() -> None:
    """Values the column check does not judge (int and str subclasses, an event subclass)
    go to the event-by-event check, which accepts them as before."""
    events = good(500)
    events[100] = ev(units=Units.one)
    events[200] = ev(event_id=Name("named"), customer_id=Name("C9"))
    events[300] = Event("sub", "C1", 2, T0)
    assert reference(tuple(events)) is None
    assert len(c.IngestUsage(TENANT, tuple(events), T0).events) == 500


def test_instants_shared_by_many_events_are_each_checked() -> None:
    """Instants are checked once per distinct object; a bad one shared by many events, or an
    equal-looking good one, is judged like any other."""
    shared_bad = datetime(1969, 12, 31, tzinfo=UTC)
    events = [UsageEvent(f"e{i}", "C1", 1, shared_bad if i % 2 else T0) for i in range(100)]
    with pytest.raises(InputError) as refused:
        c.IngestUsage(TENANT, tuple(events), T0)
    assert refused.value.where == "event e1.occurred_at"


def test_a_repeated_event_id_counts_once_and_must_not_change() -> None:
    """Inside one batch, the first occurrence of an id wins; a repeat with other contents
    refuses the batch (the column path's dict(zip(...)) falls back to the check)."""
    app = memory_app()
    lot(app, TENANT, "C1", "L1", 100, "10.00")
    same = (UsageEvent("a", "C1", 2, at(1)), UsageEvent("b", "C1", 1, at(1)))
    receipt = app.ledger.handle(c.IngestUsage(TENANT, (*same, same[0]), at(1)))
    assert (receipt.details["accepted"], receipt.details["duplicates"]) == ("2", "1")
    changed = (UsageEvent("c", "C1", 1, at(1)), UsageEvent("c", "C1", 5, at(1)))
    with pytest.raises(IdempotencyConflict, match="appears twice"):
        app.ledger.handle(c.IngestUsage(TENANT, changed, at(1)))
    assert app.queries.lots_of(TENANT, "C1")[0].remaining == 97  # the refused batch wrote nothing
