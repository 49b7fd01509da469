"""How long reading a policy file takes, per parser, and a cold `refundable decide`.

ADR 0023 chose YAML 1.2 values built from libyaml's event stream. This measures that loader
against PyYAML's YAML 1.1 loaders (pure Python and libyaml), ruamel.yaml's YAML 1.2 loaders
when ruamel.yaml is importable (it is not a dependency: run this script with an interpreter
that has it to compare), the whole policy load (parse, validate, compile), and a cold
`refundable decide` in a new process next to its limit (0.4 s, issue 6). Best of N rounds.

    .venv/bin/python bench/policy_yaml.py [--rounds 20] [--cold 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from refundable.policy.loader import load_policy_text  # noqa: E402
from refundable.policy.yamlsource import load_yaml  # noqa: E402

POLICIES = ROOT / "src" / "refundable" / "policies"
COLD_LIMIT_S = 0.4
REQUEST = ROOT / "src" / "refundable" / "examples"


def best(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def parsers() -> dict[str, Callable[[str], Any]]:
    found: dict[str, Callable[[str], Any]] = {
        "pyyaml SafeLoader (1.1, Python)": lambda t: yaml.load(t, Loader=yaml.SafeLoader),
        "pyyaml CSafeLoader (1.1, libyaml)": lambda t: yaml.load(t, Loader=yaml.CSafeLoader),
        "refundable load_yaml (1.2, libyaml events)": lambda t: load_yaml(t, "bench.yaml"),
        "refundable load_policy_text (parse+validate+compile)": load_policy_text,
    }
    try:
        from ruamel.yaml import YAML
    except ImportError:
        return found
    safe, rt = YAML(typ="safe", pure=True), YAML(typ="rt")
    found["ruamel.yaml safe, pure (1.2)"] = safe.load
    found["ruamel.yaml round-trip, with lines (1.2)"] = rt.load
    return found


def cold_decide(rounds: int) -> float | None:
    request = next(iter(sorted(REQUEST.rglob("*.yaml"))), None)
    if request is None:
        return None
    command = [sys.executable, "-m", "refundable", "decide", "--json", str(request)]
    return best(lambda: subprocess.run(command, capture_output=True, check=False), rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold", type=int, default=5)
    args = parser.parse_args()
    files = sorted(p for p in POLICIES.glob("*.yaml") if not p.name.endswith(".scenarios.yaml"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in files}
    print(f"| parser | {' | '.join(texts)} |")
    print(f"|---|{'---:|' * len(texts)}")
    for name, fn in parsers().items():
        cells = [
            f"{best(lambda t=t, f=fn: f(t), args.rounds) * 1000:.2f} ms" for t in texts.values()
        ]
        print(f"| {name} | {' | '.join(cells)} |")
    if args.cold:
        cold = cold_decide(args.cold)
        if cold is not None:
            print(
                f"\ncold `refundable decide --json` (best of {args.cold}): {cold:.3f} s; "
                f"limit {COLD_LIMIT_S} s; ratio {cold / COLD_LIMIT_S:.2f}"
            )


if __name__ == "__main__":
    main()
