"""Scenario tests as a product feature: "given this request, expect this decision".

A scenario file is readable by the business that owns the policy; ``refundable policy test``
runs it the way ``opa test`` runs Rego tests, and reports each key that differs with what was
expected and what came out. Only the keys a scenario states are compared, so a scenario says
exactly what it cares about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from refundable.core.errors import RefundableError
from refundable.core.money import to_decimal
from refundable.policy.decision import Decision
from refundable.policy.engine import decide
from refundable.policy.registry import SCENARIO_SUFFIX, PolicyRegistry
from refundable.policy.requests import parse_request, zones
from refundable.policy.yamlsource import LineDict, read_yaml

EXPECT_KEYS = (
    "outcome",
    "remedy",
    "rule",
    "gross",
    "net",
    "units",
    "currency",
    "clauses",
    "fees",
    "decide_by",
    "pay_by",
    "policy_version",
    "explanation_contains",
    "error",
    "information_needed",
)


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    line: int
    name: str
    mismatches: tuple[str, ...] = ()
    decision: Decision | None = None
    clauses: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.mismatches


def scenario_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(root.glob(f"*{SCENARIO_SUFFIX}"))


def run_file(path: Path, registry: PolicyRegistry) -> list[ScenarioResult]:
    data, problems = read_yaml(path)
    if problems or not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        why = problems[0].render() if problems else "needs `policy:` and a `scenarios:` list"
        return [ScenarioResult(str(path), 1, "<file>", (why,))]
    policy_id = data.get("policy")
    return [_run_one(str(path), item, policy_id, registry) for item in data["scenarios"]]


def _run_one(
    file: str, item: Any, policy_id: str | None, registry: PolicyRegistry
) -> ScenarioResult:
    line = item.line if isinstance(item, LineDict) else 0
    name = str(item.get("name", f"scenario at line {line}")) if isinstance(item, dict) else "?"
    if not isinstance(item, dict) or not isinstance(item.get("expect"), dict):
        return ScenarioResult(file, line, name, ("a scenario needs request: and expect:",))
    expect = item["expect"]
    unknown = sorted(set(expect) - set(EXPECT_KEYS))
    if unknown:
        return ScenarioResult(
            file,
            line,
            name,
            (f"unknown expect keys {unknown}; allowed: " + ", ".join(EXPECT_KEYS),),
        )
    try:
        request = parse_request(item.get("request"), policy=policy_id, zone=zones(registry))
        decision = decide(registry.in_force(request.policy, request.requested_at), request)
    except RefundableError as error:
        if "error" in expect:
            ok = expect["error"] == error.code
            return ScenarioResult(
                file,
                line,
                name,
                () if ok else (f"error: expected {expect['error']}, got {error.code}: {error}",),
            )
        return ScenarioResult(file, line, name, (f"error: {error}",))
    if "error" in expect:
        return ScenarioResult(
            file,
            line,
            name,
            (f"error: expected {expect['error']}, got a decision ({decision.outcome.value})",),
            decision,
        )
    return ScenarioResult(
        file, line, name, tuple(compare(expect, decision)), decision, decision.clauses
    )


def compare(expect: dict[str, Any], d: Decision) -> list[str]:
    """Each stated key that differs, as 'key: expected X, got Y'."""
    actual: dict[str, Any] = {
        "outcome": d.outcome.value,
        "remedy": d.remedy.value,
        "rule": d.rule,
        "gross": d.gross.amount,
        "net": d.net.amount,
        "units": d.units,
        "currency": d.currency,
        "policy_version": d.policy_version,
        "decide_by": d.decide_by.at if d.decide_by else None,
        "pay_by": d.pay_by.at if d.pay_by else None,
    }
    out = []
    for key, want in expect.items():
        if key == "clauses":
            missing = [str(c) for c in want if str(c) not in d.clauses]
            if missing:
                out.append(f"clauses: expected to cite {missing}, cited {list(d.clauses)}")
        elif key == "fees":
            got = {f.id: f.amount.amount for f in d.fees}
            if {k: _dec(v) for k, v in want.items()} != got:
                out.append(
                    f"fees: expected {dict(want)}, got { {k: str(v) for k, v in got.items()} }"
                )
        elif key == "information_needed":
            got_items = [i.item for i in d.information_needed]
            if [str(w) for w in want] != got_items:
                out.append(f"information_needed: expected {list(want)}, got {got_items}")
        elif key == "explanation_contains":
            if str(want) not in d.explanation:
                out.append(f"explanation: expected to contain {want!r}, got {d.explanation!r}")
        elif not _same(want, actual[key]):
            out.append(f"{key}: expected {want}, got {actual[key]}")
    return out


def _dec(value: Any) -> Decimal:
    return to_decimal(str(value) if isinstance(value, float) else value)


def _same(want: Any, got: Any) -> bool:
    if isinstance(got, Decimal):
        return want is not None and _dec(want) == got
    if isinstance(got, datetime) or (
        want is not None and got is None and isinstance(want, str | datetime)
    ):
        if got is None or want is None:
            return got is None and want is None
        wanted = want if isinstance(want, datetime) else datetime.fromisoformat(str(want))
        return wanted == got
    return bool(want == got)


def run_all(root: Path, registry: PolicyRegistry) -> list[ScenarioResult]:
    results: list[ScenarioResult] = []
    for path in scenario_files(root):
        results.extend(run_file(path, registry))
    return results
