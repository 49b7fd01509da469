"""The trace's sentences are remembered per step of a compiled policy (policy/trace_text.py),
keyed by the exact values of the facts they quote: a request never gets a sentence rendered
for another request's values.

The oracle is the decision itself rendered without its policy (``policy_ref=None``): then
every step's ``why`` and ``text`` are rendered afresh by ``TraceStep.why`` and ``narrate``.
Requests that differ only in a quoted value are decided one after the other on the same
compiled policy, so a memo keyed too loosely would hand the second one the first one's text.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from refundable.config import shipped_policies_dir
from refundable.policy import labels
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.decision import Decision
from refundable.policy.engine import decide
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import run_all
from refundable.policy.trace_text import MEMO_MAX, exact
from refundable.policy.wording import plain_basis

from .support import charge, compile_rules, refund, request, rule

JHB = ZoneInfo("Africa/Johannesburg")


def fresh(d: Decision) -> list[dict[str, Any]]:
    """The trace rendered step by step, without any memo."""
    trace: list[dict[str, Any]] = dataclasses.replace(d, policy_ref=None).to_dict()["trace"]
    return trace


def step(d: Decision, rule_id: str) -> dict[str, Any]:
    row: dict[str, Any] = next(s for s in d.to_dict()["trace"] if s["rule"] == rule_id)
    return row


@cache
def policy() -> CompiledPolicy:
    """A money threshold across currencies, a requirement on a share, a request window, a
    rule on an instant's presence, and a rule that applies to everything else."""
    return compile_rules(
        [
            rule(
                "over-limit",
                "3",
                {"charge.amount": {"gt": {"amount": "1000000.00", "currency": "ZAR"}}},
                refund(),
            ),
            rule(
                "open-incident",
                "4",
                {"incident.resolved_at": {"present": False}},
                refund(),
            ),
            rule(
                "duplicate",
                "2",
                {"reason": "duplicate_charge"},
                refund(),
                requires=[{"condition": {"usage.consumed_fraction": {"lte": "0.5"}}}],
            ),
        ],
        process={
            "request_window": {
                "days": 30,
                "of": "charge.charged_at",
                "clause": "8",
                "covers": ["duplicate"],
            }
        },
    )


def decided(**fields: Any) -> Decision:
    fields.setdefault("charge", charge())
    fields.setdefault("incident", {"started_at": "2026-03-01T08:00:00+02:00", "cause": "internal",
                                   "resolved_at": "2026-03-01T10:00:00+02:00"})  # fmt: skip
    return decide(policy(), request(**fields))


def test_equal_amounts_written_differently_are_quoted_as_written() -> None:
    """Decimal("899") == Decimal("899.00"): a memo keyed by equality would quote the first."""
    first = decided(charge=charge("899.00"))
    second = decided(charge=charge("899"))
    assert "charge.amount was ZAR 899.00)" in step(first, "over-limit")["why"]
    assert "charge.amount was ZAR 899)" in step(second, "over-limit")["why"]
    assert second.to_dict()["trace"] == fresh(second)


def test_another_amount_gets_its_own_sentence() -> None:
    texts = {a: step(decided(charge=charge(a)), "over-limit")["text"] for a in ("300.00", "450.00")}
    assert texts["300.00"].endswith("here the amount charged was ZAR 300.00")
    assert texts["450.00"].endswith("here the amount charged was ZAR 450.00")


def test_another_currency_or_rate_gets_its_own_sentence() -> None:
    rate = {"USD/ZAR": "18.50"}
    zar = decided(charge=charge("50.00"), fx=rate)
    usd = decided(charge=charge("50.00", currency="USD"), fx=rate)
    usd_other_rate = decided(charge=charge("50.00", currency="USD"), fx={"USD/ZAR": "20.00"})
    rows = [step(d, "over-limit") for d in (zar, usd, usd_other_rate)]
    assert rows[0]["text"].endswith("ZAR 50.00") and rows[1]["text"].endswith("USD 50.00")
    assert len({r["why"] for r in rows}) == 3
    for d in (zar, usd, usd_other_rate):
        assert d.to_dict()["trace"] == fresh(d)


def test_one_instant_written_with_two_offsets_is_quoted_as_written() -> None:
    """The same instant at +02:00 and in UTC: equal datetimes, two wall times in ``why``."""
    local = {"started_at": "2026-03-01T08:00:00+02:00", "cause": "internal",
             "resolved_at": "2026-03-01T10:00:00+02:00"}  # fmt: skip
    utc = {**local, "resolved_at": "2026-03-01T08:00:00+00:00"}
    a, b = decided(incident=local), decided(incident=utc)
    assert "10:00:00+02:00" in step(a, "open-incident")["why"]
    assert "08:00:00+00:00" in step(b, "open-incident")["why"]
    assert b.to_dict()["trace"] == fresh(b)


def test_a_later_request_outside_the_window_says_its_own_gap() -> None:
    late = decided(requested_at="2026-04-01T09:00:00+02:00")  # day 31
    later = decided(requested_at="2026-04-10T09:00:00+02:00")  # day 40
    assert step(late, "duplicate")["status"] == "outside_window"
    assert "31 days after the charge" in step(late, "duplicate")["text"]
    assert "40 days after the charge" in step(later, "duplicate")["text"]
    assert later.to_dict()["trace"] == fresh(later)


def test_a_failed_requirement_quotes_each_request_s_share() -> None:
    shares = ("0.75", "0.9")
    rows = [step(decided(usage={"consumed_fraction": s}), "duplicate") for s in shares]
    assert [r["status"] for r in rows] == ["requirement_failed"] * 2
    assert "75%" in rows[0]["text"] and "90%" in rows[1]["text"]


def test_the_memo_stays_bounded() -> None:
    compiled = policy()
    for cents in range(MEMO_MAX + 5):
        d = decided(charge=charge(f"{100 + cents}.00"))
        assert d.to_dict()["trace"] == fresh(d)
    memos = compiled.trace_texts._memos.values()
    assert max(len(m.texts) for m in memos) <= MEMO_MAX


def test_a_row_given_out_is_the_caller_s_to_change() -> None:
    d = decided()
    d.to_dict()["trace"][-1]["text"] = "changed"
    assert d.to_dict()["trace"] == fresh(d)


def test_exact_keys_tell_apart_what_prints_differently() -> None:
    at = datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert at == at.astimezone(UTC)
    assert exact(at) != exact(at.astimezone(UTC))
    assert exact(Decimal("899")) != exact(Decimal("899.00"))
    assert exact(Decimal("899.00")) == exact(Decimal("899.00"))
    assert exact(True) is True and exact(None) is None and exact("card") == "card"


# --- every shipped scenario, decided twice in two orders ----------------------------------------


@cache
def _shipped() -> list[Decision]:
    root = shipped_policies_dir()
    return [r.decision for r in run_all(root, PolicyRegistry.load(root)) if r.decision is not None]


@pytest.mark.parametrize("order", ["as written", "reversed"])
def test_every_shipped_decision_renders_its_fresh_trace(order: str) -> None:
    decisions = _shipped() if order == "as written" else _shipped()[::-1]
    for d in decisions:
        assert d.request is not None and d.policy_ref is not None
        again = decide(d.policy_ref, d.request)
        assert again.to_dict() == d.to_dict()
        assert again.to_dict()["trace"] == fresh(again), (d.policy, d.rule)


# --- the two other remembered texts: deadlines and amount bases ------------------------------


def test_deadline_text_is_of_the_instant_and_the_zone() -> None:
    at = datetime(2026, 4, 24, 17, tzinfo=JHB)
    assert labels.deadline(at, JHB) == "by 17:00 on Friday 24 April 2026 (Africa/Johannesburg)"
    # the same instant written in UTC reads the same; another instant or zone does not
    assert labels.deadline(at.astimezone(UTC), JHB) == labels.deadline(at, JHB)
    assert labels.deadline(at + timedelta(days=3), JHB).startswith("by 17:00 on Monday 27")
    assert labels.deadline(at, ZoneInfo("Europe/London")).endswith("(Europe/London)")


def test_plain_basis_is_of_its_own_text() -> None:
    assert plain_basis("ZAR 720.00 x 73h00 / 720h00 (actual_seconds)") == (
        "ZAR 720.00 for 73 hours out of 720 hours"
    )
    assert plain_basis("ZAR 720.00 x 74h00 / 720h00 (actual_seconds)") == (
        "ZAR 720.00 for 74 hours out of 720 hours"
    )
