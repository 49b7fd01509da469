"""What the plain trace sentences cost when a decision is rendered as JSON.

Every scenario decision of the four shipped policies is rendered with ``to_dict()`` twice in
the same run: as shipped (each trace step with its plain ``text``) and with the trace text
switched off, so the ratio shows the price of the sentences on this machine at this load.
Pinned to one core; best of N rounds, the two alternating.
Run: .venv/bin/python bench/render_decision.py --rounds 9 --reps 10
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from refundable.config import shipped_policies_dir
from refundable.policy.decision import Decision
from refundable.policy.registry import SCENARIO_SUFFIX, PolicyRegistry
from refundable.policy.scenarios import run_file


def decisions() -> list[Decision]:
    root = shipped_policies_dir()
    registry = PolicyRegistry.load(root)
    out: list[Decision] = []
    for path in sorted(root.glob(f"*{SCENARIO_SUFFIX}")):
        out += [r.decision for r in run_file(path, registry) if r.decision is not None]
    return out


def rate(items: list[Decision], reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        for d in items:
            d.to_dict()
    return reps * len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    shipped = decisions()
    silent = [dataclasses.replace(d, narrate=lambda step: "") for d in shipped]
    # Rounds alternate between the two, so a change of machine load hits both alike.
    with_text = without = 0.0
    for _ in range(args.rounds):
        with_text = max(with_text, rate(shipped, args.reps))
        without = max(without, rate(silent, args.reps))
    print(f"load average: {os.getloadavg()[0]:.1f}; {len(shipped)} decisions")
    print(f"to_dict with trace text:    {with_text:,.0f}/s")
    print(f"to_dict without trace text: {without:,.0f}/s")
    print(f"ratio: {with_text / without:.2f}")


if __name__ == "__main__":
    main()
