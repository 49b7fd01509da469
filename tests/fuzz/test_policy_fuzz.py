"""Fuzzing the policy parser: whatever the text, the loader answers with a compiled policy or
with the project's own errors, never with a stray exception (issue 8).

Three generators: a valid policy with one of its values replaced by a YAML trap or a random
structure, a valid policy with random lines cut or characters inserted, and random text. A
policy that compiles also decides one request, so a value the loader let through cannot crash
the engine either. Bounded to run in a few seconds.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refundable.core.errors import RefundableError
from refundable.policy.engine import decide
from refundable.policy.loader import load_policy_text
from refundable.policy.requests import parse_request

BASE = """\
policy: acme
name: Acme
version: "2026-01-01"
effective_from: 2026-01-01
source: Acme test policy
timezone: Africa/Johannesburg
currency: ZAR
calendar:
  country: ZA
  business_hours: {opens: "09:00", closes: "17:00"}
parameters:
  keep: {value: 10, clause: "2", reading: not stated}
process:
  review: {business_days: 10, clause: "2"}
fees:
  admin: {clause: "2", description: Admin fee, percent: {param: keep}}
  handling: {clause: "2", description: Handling, percent: 5, minimum: {amount: "50.00", currency: ZAR}}
clauses:
  - {id: "1", title: No refunds as a rule}
  - {id: "2", title: Duplicate charges}
default: {clause: "1", explanation: No rule covers this.}
rules:
  - id: duplicate
    clause: "2"
    description: A charge taken twice is refunded.
    when: {reason: duplicate_charge, within: {days: 30, of: charge.charged_at}}
    then: {outcome: approve, remedy: refund, amount: {formula: full}, fees: [{higher_of: [admin, handling]}]}
"""  # noqa: E501
LINES = BASE.splitlines(keepends=True)
# Scalars in flow or block position, each replaceable by a trap.
SLOT = re.compile(r"(?<=: )[^{}\[\],\n]+?(?=[,}\]\n])")
SLOTS = [(i, m.start(), m.end()) for i, line in enumerate(LINES) for m in SLOT.finditer(line)]

TRAPS = [
    "NO", "yes", "on", "~", "null", "1.10", "010", "0o17", "0x1F", "1e400", "-1e400", ".inf",
    ".nan", "-10", "2026-02-30", "2026-13-01", "09:00", "25:00", "1_000", "9" * 60, "{}", "[]",
    "[[x]]", "{a: {b: c}}", "*x", "&x y", "!!python/name:os.system", "!!binary AAAA", '"\\e[2J"',
    "'", '"', "{", "[", "- x", "? [a]", "{param: keep}", "{param: nope}", "-99999999999",
    "99999999999", "2.5", "true", "false", "approve", "duplicate_charge", "charge.charged_at",
]  # fmt: skip

REQUEST = {
    "policy": "acme",
    "requested_at": "2026-03-02T10:00:00+02:00",
    "reason": "duplicate_charge",
    "charge": {
        "kind": "subscription",
        "amount": "499.00",
        "currency": "ZAR",
        "charged_at": "2026-03-01T00:00:00+02:00",
    },
}


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.text(max_size=12),
    _containers,
    max_leaves=12,
)


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...")


def _check(text: str) -> None:
    try:
        policy = load_policy_text(text, "fuzz.yaml")
    except RefundableError:
        return
    try:
        decision = decide(policy, parse_request(REQUEST))
    except RefundableError:
        return
    assert decision.net.amount <= Decimal("499.00")


@st.composite
def replaced_values(draw: st.DrawFn) -> str:
    i, start, end = draw(st.sampled_from(SLOTS))
    value = draw(st.sampled_from(TRAPS) | json_values.map(_flow))
    lines = list(LINES)
    lines[i] = lines[i][:start] + value + lines[i][end:]
    return "".join(lines)


@st.composite
def damaged_lines(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["cut", "dup", "insert"]))
        if action == "cut":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        else:
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.text(max_size=4)) + lines[i][pos:]
        if not lines:
            break
    return "".join(lines)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(replaced_values())
def test_a_value_replaced_by_a_trap_or_a_random_structure(text):
    _check(text)


@FUZZ
@given(damaged_lines())
def test_lines_cut_duplicated_or_garbled(text):
    _check(text)


@FUZZ
@given(st.text(max_size=300) | json_values.map(lambda v: yaml.safe_dump({"policy": v})))
def test_random_text(text):
    _check(text)
