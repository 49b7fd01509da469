"""The stage clocks kept as columns of each case (migration 0023, ADR 0080), on SQLite and
PostgreSQL: the operators' count of open cases at risk and past a deadline, read from the
columns in one aggregate, agrees at every moment with the cases' own clocks while cases are
opened, warned, breached, paused, resumed and closed; the window filters of the reads
(``due_since``, ``kinds``) keep exactly what they say; and the migration fills the columns of
cases stored before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from case_counts import by_the_clocks
from casefakes import Reason, Subject, case_of, charge_and_pay, days, open_case, policy_tenant, zar
from pgdb import new_pg_database
from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.engine import make_engine, migrate
from refundable.adapters.db.ops_queries import case_deadlines
from refundable.bootstrap import App
from refundable.cases.codec import case_to_dict
from refundable.cases.model import Case, CaseState, EventKind, StageClock
from refundable.core.jsontext import sorted_strict
from refundable.core.time import UTC
from refundable.policy.casesdoc import StageName
from refundable.policy.document import Outcome
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday, 10:00 in Johannesburg
INFO = {"account": "m@corp.test Corp", "explanation": "not for us", "evidence": "shot.png",
        "email": "m@corp.test"}  # fmt: skip


def _facts(start: datetime) -> dict[str, object]:
    end = start + days(31)
    return {"charge": {"kind": "subscription", "billing": "monthly", "initial_purchase": True,
                       "period": {"start": start.isoformat(), "end": end.isoformat()}}}  # fmt: skip


def test_the_counts_from_the_columns_agree_with_the_clocks_at_every_moment(app: App) -> None:
    assert app.engine is not None and app.cases_read is not None
    tenant = policy_tenant(app, "myprotektor")
    app.bus.handle(c.CreateTestClock(tenant, "tc", "tc", T0))
    opened: dict[str, str] = {}
    for n, day in enumerate((1, 3, 6)):  # three cases waiting for an agent's review
        at = T0 + days(day)
        ch, p = charge_and_pay(app, tenant, f"M{n}", zar("1200.00"), at)
        case_id, r = open_case(app, tenant, f"M{n}", Subject.charge, ch, Reason.change_of_mind,
                               at, information=INFO, facts=_facts(at), payment_id=p)  # fmt: skip
        assert r.details["state"] == "in_review"
        opened[f"M{n}"] = case_id
    ch, p = charge_and_pay(app, tenant, "W", zar("1200.00"), T0 + days(2))
    waiting, r = open_case(app, tenant, "W", Subject.charge, ch, Reason.change_of_mind,
                           T0 + days(2), facts=_facts(T0 + days(2)), payment_id=p)  # fmt: skip
    assert r.details["state"] == "awaiting_information"  # paused: its clock stops
    seen = {"open": 0.0, "at_risk": 0.0, "breached": 0.0}
    moment = T0 + days(6)
    while moment <= T0 + days(40):
        advance_test_clock(app.bus, app.work, tenant, "tc", moment)  # warnings, breaches
        if moment == T0 + days(12):  # the customer answers: the clock resumes, shifted
            app.bus.handle(c.ProvideInformation(tenant, "pi", waiting, moment, "customer:W",
                                                information=INFO))  # fmt: skip
        if moment == T0 + days(20):  # an agent decides one case: it closes
            app.bus.handle(c.JudgeCase(tenant, "j", opened["M0"], Outcome.approve, moment,
                                       "agent:ann"))  # fmt: skip
        for probe in (moment, moment + timedelta(hours=7)):
            counted = case_deadlines(app.engine, probe)
            assert counted == by_the_clocks(app.engine, app.cases_read, probe), probe
            seen = {k: max(seen[k], counted[k]) for k in seen}
        moment += timedelta(hours=12)
    # the walk met every kind of count (a wrong column would have shown somewhere above)
    assert seen["open"] >= 4 and seen["at_risk"] >= 1 and seen["breached"] >= 3
    marked = case_of(app, tenant, opened["M1"])
    assert any(k.breached for k in marked.clocks)  # a breach was recorded, not only reached


def test_the_window_reads_keep_the_deadlines_and_kinds_asked_for(app: App) -> None:
    assert app.cases_read is not None
    tenant = policy_tenant(app, "myprotektor")
    made = []
    for n, day in enumerate((0, 10, 40)):
        at = T0 + days(day)
        ch, p = charge_and_pay(app, tenant, f"K{n}", zar("1200.00"), at)
        case_id, _ = open_case(app, tenant, f"K{n}", Subject.charge, ch, Reason.change_of_mind,
                               at, information=INFO, facts=_facts(at), payment_id=p)  # fmt: skip
        made.append(case_of(app, tenant, case_id))
    reads = app.cases_read
    everything = reads.cases(tenant)
    for since in (T0, T0 + days(12), T0 + days(30), T0 + days(90)):
        expected = [x.case_id for x in everything
                    if any(k.due_at >= since for k in x.clocks)]  # fmt: skip
        assert [x.case_id for x in reads.cases(tenant, due_since=since)] == expected, since
    assert len(reads.cases(tenant, due_since=T0 + days(30))) == 1  # the last one only
    kinds = {EventKind.opened}
    found = reads.events(tenant, since=T0 + days(5), kinds=kinds)
    assert {e.case_id for e in found} == {made[1].case_id, made[2].case_id}
    assert {e.kind for e in found} == kinds
    assert {e.kind for e in reads.events(tenant)} > kinds  # other kinds exist, and were left


# ---- the migration's backfill ----------------------------------------------------------------
AT = datetime(2026, 4, 1, 8, tzinfo=UTC)


def _clock(stage: StageName, due_day: int, *, ended: bool = False, breached: bool = False
           ) -> StageClock:  # fmt: skip
    due = AT + days(due_day)
    ended_at = AT + days(1) if ended else None
    return StageClock(stage, "7.1", AT, due, due - days(2), ended_at=ended_at, warned=breached,
                      breached=breached)  # fmt: skip


def _stored_case(case_id: str, clocks: tuple[StageClock, ...]) -> Case:
    return Case("t1", case_id, "C1", Subject.charge, f"ch-{case_id}", "change_of_mind",
                CaseState.in_review, AT, "customer:C1", "v1", clocks=clocks)  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine_at_0022(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    def at_0022(url: str) -> Engine:
        engine = make_engine(url)
        migrate(engine, "0022_period_charged")
        return engine

    if request.param == "sqlite":
        engine = at_0022(f"sqlite:///{tmp_path / 'before.db'}")
        yield engine
        engine.dispose()
        return
    with new_pg_database("clockcols") as url:
        engine = at_0022(url)
        yield engine
        engine.dispose()


def test_the_migration_fills_the_clock_columns_of_cases_stored_before_it(
    engine_at_0022: Engine,
) -> None:
    engine = engine_at_0022
    cases = {
        # ended on 2 Apr (due 10 Apr), running and breached (due 5 Apr), running (due 20 Apr)
        "three": _stored_case("three", (
            _clock(StageName.initial_review, 9, ended=True),
            _clock(StageName.investigation, 4, breached=True),
            _clock(StageName.decision, 19),
        )),
        "ended": _stored_case("ended", (_clock(StageName.decision, 9, ended=True),)),
        "none": _stored_case("none", ()),
    }  # fmt: skip
    before = t.cases.c
    with engine.begin() as conn:  # the columns a 0022 store has
        for x in cases.values():
            conn.execute(insert(t.cases).values(
                tenant_id=x.tenant_id, case_id=x.case_id, customer_id=x.customer_id,
                subject=x.subject.value, subject_id=x.subject_id, reason=x.reason,
                state=x.state.value, open_key=x.open_key, received_us=rows.to_us(x.received_at),
                next_due_us=None, updated_us=rows.to_us(x.received_at),
                body=sorted_strict(case_to_dict(x)),
            ))  # fmt: skip
    migrate(engine)
    with engine.connect() as conn:
        got = {
            r.case_id: (r.next_warn_us, bool(r.breach_marked), r.last_due_us)
            for r in conn.execute(select(before.case_id, before.next_warn_us,
                                         before.breach_marked, before.last_due_us))
        }  # fmt: skip

    def us(day: int) -> int:
        return rows.to_us(AT + days(day))

    assert got == {
        "three": (us(4 - 2), True, us(19)),  # warning of the breached one; latest deadline
        "ended": (None, False, us(9)),  # nothing runs; its deadline still dates it
        "none": (None, False, None),
    }
