"""The pure case core: the transition table, stage clocks on the business calendar (with the
pause), the case codec, and a stored Decision read back whole."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from refundable.cases.clocks import alarms, deadline, on_state_change, sound
from refundable.cases.codec import case_from_dict, case_to_dict
from refundable.cases.model import Case, CaseState, EventKind, Subject
from refundable.cases.rules import case_rules
from refundable.cases.transitions import apply
from refundable.config import shipped_policies_dir
from refundable.core.errors import Conflict
from refundable.core.time import UTC
from refundable.policy.casesdoc import StageName
from refundable.policy.decision import Decision
from refundable.policy.loader import load_policy_file
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import run_file

SHIPPED = shipped_policies_dir()


def _rules(name: str):  # type: ignore[no-untyped-def]
    return case_rules(load_policy_file(SHIPPED / f"{name}.yaml"))


def _case(name: str, at: datetime) -> Case:
    rules = _rules(name)
    case = Case("t", "k1", "C1", Subject.charge, "ch1", "billing_error", CaseState.received, at,
                "customer:C1", rules.policy_version)  # fmt: skip
    return on_state_change(case, CaseState.received, at, rules.clocks)


def test_myprotektor_stage_deadlines_are_business_days_on_its_calendar() -> None:
    rules = _rules("myprotektor")
    start = datetime(2026, 4, 1, 8, tzinfo=UTC)  # Wed 1 Apr, 10:00 local; Good Friday 3 Apr
    spec = {s.stage: s for s in rules.clocks.stages}
    due, warn = deadline(spec[StageName.decision], start, rules.clocks.calendar)
    # 10 business days after Wed 1 Apr, skipping Good Friday and Family Day (Mon 6 Apr)
    assert due.isoformat() == "2026-04-17T17:00:00+02:00"
    assert warn.isoformat() == "2026-04-15T17:00:00+02:00"  # two business days before


def test_the_clock_pauses_while_awaiting_the_customer_and_resumes_shifted() -> None:
    rules = _rules("conek")
    t0 = datetime(2026, 5, 4, 8, tzinfo=UTC)  # Mon 4 May
    case = _case("conek", t0)
    [clock] = case.clocks
    assert clock.stage is StageName.decision
    waiting, _ = apply(case, EventKind.information_requested, "system", t0, rules.clocks)
    assert alarms(waiting) == []  # nothing is scheduled while paused
    back, _ = apply(waiting, EventKind.information_provided, "customer:C1",
                    datetime(2026, 5, 11, 8, tzinfo=UTC), rules.clocks)  # fmt: skip
    [moved] = back.clocks
    # waited Mon 4 -> Mon 11 May: 5 business days, so the deadline moves 5 business days
    assert moved.due_at.isoformat() == "2026-05-25T17:00:00+02:00"
    assert clock.due_at.isoformat() == "2026-05-18T17:00:00+02:00"
    assert moved.generation == clock.generation + 1
    stale = [a for a in alarms(case)]
    assert all(sound(back, a) is None for a in stale)  # the old deadline's alarms are stale
    fresh = alarms(back)
    warned = sound(back, fresh[0])
    assert warned is not None and warned.clocks[0].warned
    assert sound(warned, fresh[0]) is None  # recorded once


def test_an_event_not_allowed_in_the_state_is_refused_with_what_is_allowed() -> None:
    rules = _rules("conek")
    case = _case("conek", datetime(2026, 5, 4, 8, tzinfo=UTC))
    with pytest.raises(Conflict) as err:
        apply(case, EventKind.paid, "system", case.received_at, rules.clocks)
    assert err.value.allowed is not None and "withdrawn" in err.value.allowed


def test_leaving_a_stage_ends_its_clock_kept_or_missed() -> None:
    rules = _rules("conek")
    t0 = datetime(2026, 5, 4, 8, tzinfo=UTC)
    case = _case("conek", t0)
    late = datetime(2026, 6, 1, 8, tzinfo=UTC)
    decided, event = apply(case, EventKind.decided, "system", late, rules.clocks)
    assert (event.from_state, event.to_state, event.actor) == (
        CaseState.received, CaseState.decided, "system")  # fmt: skip
    [clock] = decided.clocks
    assert clock.ended_at == late and clock.kept is False


def test_a_case_round_trips_through_its_codec() -> None:
    rules = _rules("myprotektor")
    case = _case("myprotektor", datetime(2026, 5, 4, 8, tzinfo=UTC))
    case, _ = apply(case, EventKind.review_started, "system", case.received_at, rules.clocks)
    text = json.dumps(case_to_dict(case))
    assert case_from_dict(json.loads(text)) == case


@pytest.mark.parametrize("name", ["conek", "kelbix", "kero", "myprotektor"])
def test_every_scenario_decision_round_trips_through_storage(name: str) -> None:
    policy = load_policy_file(SHIPPED / f"{name}.yaml")
    results = run_file(SHIPPED / f"{name}.scenarios.yaml", PolicyRegistry.from_policies([policy]))
    decisions = [r.decision for r in results if r.decision is not None]
    assert decisions
    for d in decisions:
        stored = json.loads(json.dumps(d.to_dict(), default=str))
        back = Decision.from_dict(stored)
        # every field as decided; trace steps keep rule, clause, status and their sentences
        assert replace(back, trace=()) == replace(d, trace=())
        assert [(s.rule, s.clause, s.status) for s in back.trace] == [
            (s.rule, s.clause, s.status) for s in d.trace
        ]
        assert json.loads(json.dumps(back.to_dict(), default=str)) == stored


def test_the_policies_cases_sections_cite_their_clauses() -> None:
    for name in ("conek", "kelbix", "kero", "myprotektor"):
        rules = _rules(name)
        assert rules.policy_id == name
    assert _rules("conek").appeal_allowed is False
    assert _rules("myprotektor").appeal_steps == 3
    assert _rules("kelbix").settlement == "Settlement"
    assert _rules("myprotektor").auto_apply == frozenset()
    assert Path(SHIPPED / "conek.yaml").read_text().count("cases:") == 1
