"""Decision-engine throughput and latency on one core, over a mixed workload of all policies.

Method: the workload is every scenario request of the shipped policies (all four businesses,
every rule and boundary they test), minus those that are expected to be rejected as bad input,
shuffled with a fixed seed and repeated to N decisions. The process is pinned to one CPU. Four
figures per run, each the best of R rounds (fewest interference):

* parsed:   decisions/s for already-parsed Request objects (version lookup + decide);
* json:     decisions/s from JSON text (pydantic parse + version lookup + decide);
* rendered: decisions/s for parsed requests including the full JSON-ready decision
            (trace sentences rendered), i.e. what the API returns; the trace sentences are
            remembered per step by the fact values they quote (policy/trace_text.py), and
            the workload repeats its requests, so this is the memo's warm case;
* rendered_cold: the same with every trace memo emptied before each decision (each
            value-dependent sentence rendered again: the memo's worst case);
* latency:  p50/p99/max of single parsed decisions, timed one by one with perf_counter_ns.

Usage: .venv/bin/python bench/decide.py [--n 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from refundable.config import shipped_policies_dir
from refundable.policy.engine import decide
from refundable.policy.facts import Request
from refundable.policy.registry import PolicyRegistry
from refundable.policy.requests import parse_request, parse_request_json


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def workload(root: Path) -> list[tuple[Request, str]]:
    """(parsed request, JSON text) for every valid scenario request of every policy."""
    items = []
    for path in sorted(root.glob("*.scenarios.yaml")):
        data = yaml.safe_load(path.read_text())
        for s in data["scenarios"]:
            if "error" in s.get("expect", {}):
                continue
            raw = {"policy": data["policy"], **s["request"]}
            items.append((parse_request(raw), json.dumps(_jsonable(raw))))
    return items


def rate(fn: Any, items: list[Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn(items)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    registry = PolicyRegistry.load(shipped_policies_dir())
    base = workload(shipped_policies_dir())
    rng = random.Random(7)
    items = [base[rng.randrange(len(base))] for _ in range(args.n)]
    parsed = [r for r, _ in items]
    texts = [t for _, t in items]
    in_force = registry.in_force

    def run_parsed(reqs: list[Request]) -> None:
        for r in reqs:
            decide(in_force(r.policy, r.requested_at), r)

    def run_json(docs: list[str]) -> None:
        for t in docs:
            r = parse_request_json(t)
            decide(in_force(r.policy, r.requested_at), r)

    def run_rendered(reqs: list[Request]) -> None:
        for r in reqs:
            decide(in_force(r.policy, r.requested_at), r).to_dict()

    def run_rendered_cold(reqs: list[Request]) -> None:
        for r in reqs:
            policy = in_force(r.policy, r.requested_at)
            for memo in policy.trace_texts._memos.values():
                memo.texts.clear()
            decide(policy, r).to_dict()

    run_parsed(parsed[:5000])  # warm caches (holiday years, business-day look-ups)
    results = {
        "parsed_per_s": rate(run_parsed, parsed, args.rounds),
        "json_per_s": rate(run_json, texts, args.rounds),
        "rendered_per_s": rate(run_rendered, parsed[: args.n // 4], args.rounds),
        "rendered_cold_per_s": rate(run_rendered_cold, parsed[: args.n // 4], args.rounds),
    }
    samples = []
    clock = time.perf_counter_ns
    for r in parsed[: min(args.n, 100_000)]:
        t0 = clock()
        decide(in_force(r.policy, r.requested_at), r)
        samples.append(clock() - t0)
    samples.sort()
    results["p50_us"] = samples[len(samples) // 2] / 1000
    results["p99_us"] = samples[int(len(samples) * 0.99)] / 1000
    results["max_us"] = samples[-1] / 1000
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, pinned to 1 core"
    )
    print(
        f"workload: {len(base)} distinct requests from {len(registry.ids)} policies "
        f"({', '.join(registry.ids)}), {args.n} decisions, best of {args.rounds} rounds"
    )
    for key, value in results.items():
        print(f"{key:>15}: {value:,.1f}")


if __name__ == "__main__":
    main()
