"""``Case.evolve`` is ``dataclasses.replace`` for a case, only faster: same case for any
changes, same refusal of a name that is not a field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refundable.cases.model import Case, CaseState, Subject

BASE = Case(
    "t", "case-1", "cust-1", Subject("account"), "cust-1", "duplicate_charge",
    CaseState.received, datetime(2026, 4, 1, 10, tzinfo=UTC), "api:k", "v1",
)  # fmt: skip

changes = st.fixed_dictionaries(
    {},
    optional={
        "state": st.sampled_from(list(CaseState)),
        "seq": st.integers(0, 1000),
        "missing": st.lists(st.text(max_size=5), max_size=3).map(tuple),
        "decision_id": st.none() | st.text(max_size=8),
        "updated_at": st.none() | st.integers(0, 10**6).map(lambda s: BASE.received_at
                                                             + timedelta(seconds=s)),
        "information": st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    },
)  # fmt: skip


@given(changes)
def test_evolve_gives_what_replace_gives(change: dict[str, object]) -> None:
    evolved = BASE.evolve(**change)
    assert evolved == dataclasses.replace(BASE, **change)  # type: ignore[arg-type]
    assert evolved is not BASE and type(evolved) is Case
    for name, value in change.items():
        assert getattr(evolved, name) is value


def test_evolve_refuses_a_name_that_is_not_a_field() -> None:
    with pytest.raises(TypeError, match="no field 'stat'"):
        BASE.evolve(stat=CaseState.received)
    with pytest.raises(TypeError):
        dataclasses.replace(BASE, stat=CaseState.received)  # type: ignore[call-arg]
