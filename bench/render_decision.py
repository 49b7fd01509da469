"""What the trace sentences cost when a decision is rendered as JSON.

Every scenario decision of the four shipped policies is rendered with ``to_dict()`` three ways
in the same run:

* shipped: through its policy's prepared trace (policy/trace_text.py): constant rows copied,
  the sentences of a failed condition remembered per step by the fact values they quote (after
  the first round every step is met again, so this is the memo's best case);
* afresh: the same decision without its policy (``policy_ref=None``), so every step's ``why``
  and ``text`` are rendered on every call: what each step cost before the memo, and about what
  a memo miss costs;
* no text: afresh with the plain ``text`` switched off (only ``why``).

Pinned to one core; best of N rounds, the three alternating so load changes hit all alike.
Run: .venv/bin/python bench/render_decision.py --rounds 9 --reps 10
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from refundable.config import shipped_policies_dir
from refundable.policy.decision import Decision
from refundable.policy.registry import PolicyRegistry
from refundable.policy.scenarios import run_all


def decisions() -> list[Decision]:
    root = shipped_policies_dir()
    return [r.decision for r in run_all(root, PolicyRegistry.load(root)) if r.decision is not None]


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
    afresh = [dataclasses.replace(d, policy_ref=None) for d in shipped]
    silent = [dataclasses.replace(d, narrate=lambda step: "") for d in afresh]
    best = {"shipped": 0.0, "afresh": 0.0, "no text": 0.0}
    for _ in range(args.rounds):
        for name, items in (("shipped", shipped), ("afresh", afresh), ("no text", silent)):
            best[name] = max(best[name], rate(items, args.reps))
    print(f"load average: {os.getloadavg()[0]:.1f}; {len(shipped)} decisions")
    print(f"to_dict shipped (prepared trace): {best['shipped']:,.0f}/s")
    print(f"to_dict afresh (every sentence):  {best['afresh']:,.0f}/s")
    print(f"to_dict afresh without text:      {best['no text']:,.0f}/s")
    print(f"shipped / afresh: {best['shipped'] / best['afresh']:.2f}")


if __name__ == "__main__":
    main()
