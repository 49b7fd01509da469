"""Instructions per request, counted by callgrind: a before/after that the VM's noise cannot move.

These VMs change speed by ±15–40 % from one minute to the next (other tenants), so a CPU-time
difference of a few per cent between two checkouts is lost in it (``bench/ab.py`` needs many
rounds to see 10 %). The number of machine instructions a request executes does not depend on
the neighbours: valgrind's callgrind counts them, the same within ~0.5 % run to run.

For each tree (``--base``, e.g. a ``git worktree`` of an older commit, and ``--tree``, this one
by default) and each workload, a child process builds the app on a fresh SQLite database
exactly as ``bench/http_profile.py`` does (the demo tenants), warms it up, and only then
switches callgrind's counting on (``callgrind_control -i on``) for the measured requests:

* ``hello``: the bare FastAPI endpoint of ``bench/http_hello.py``, the framework's floor;
* ``preview``: ``POST /v1/decisions/preview`` through the ASGI app;
* ``intake``: ``POST /v1/cases`` through the ASGI app, ``--concurrency`` requests in flight, so
  the group-commit writer thread (ADR 0072) runs batches of about that size; every thread's
  instructions count;
* ``writer``: the writer thread's work alone, ``MessageBus.handle_batch`` of ``--concurrency``
  case intakes at a time.

No HTTP parsing, no sockets, no wrk: what is counted is the app's own work per request. It
does not measure waiting (fsync, locks), and an instruction is not a fixed time; it answers
"does this change make a request do less", not "how fast is it".

    apt-get install -y valgrind
    git worktree add /tmp/base <commit>
    .venv/bin/python bench/instructions.py --base /tmp/base --what hello,preview,intake,writer
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def child(what: str, n: int, concurrency: int) -> None:
    """Runs under callgrind, in the tree on ``sys.path``: warm up, count, print nothing."""
    from bench.http_api import REQUEST
    from bench.http_profile import build, call, intake_body, scope_of

    def counting(on: bool) -> None:
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                       capture_output=True, check=True)  # fmt: skip

    if what == "hello":
        from bench.http_hello import app as asgi

        keys: dict[str, str] = {}
    else:
        tmp = tempfile.mkdtemp()
        asgi, keys, service = build(f"sqlite:///{tmp}/instructions.db")
    loop = asyncio.new_event_loop()

    async def requests(first: int, count: int) -> None:
        if what == "intake":
            scope = scope_of("/v1/cases", keys["agent"])
            for start in range(first, first + count, concurrency):
                ids = range(start, min(start + concurrency, first + count))
                found = await asyncio.gather(*(call(asgi, scope, intake_body(i)) for i in ids))
                if any(s != 201 for s in found):
                    raise SystemExit(f"intake answered {found}")
            return
        path = "/hello" if what == "hello" else "/v1/decisions/preview"
        scope = scope_of(path, keys.get("read_only"))
        body = json.dumps(REQUEST).encode()
        for _ in range(count):
            if await call(asgi, scope, body) != 200:
                raise SystemExit(f"{what} did not answer 200")

    if what == "writer":
        commands = _intakes(service, n + 5 * concurrency, concurrency)
        for batch in commands[:5]:
            service.bus.handle_batch(batch)
        gc.collect()
        gc.freeze()
        counting(True)
        for batch in commands[5:]:
            service.bus.handle_batch(batch)
        counting(False)
        return
    loop.run_until_complete(requests(10**6, 5 * concurrency))  # caches, compiled policy
    gc.collect()
    gc.freeze()  # as the serving processes do (entrypoints/heap.py)
    counting(True)
    loop.run_until_complete(requests(0, n))
    counting(False)


def _intakes(service: Any, n: int, size: int) -> list[list[Any]]:
    from bench.http_api import INTAKE_FACTS

    from refundable.cases.model import Subject
    from refundable.policy.facts import Reason
    from refundable.service.commands import OpenCase

    answers = {"account": "a", "transaction": "t", "explanation": "charged twice"}
    made = [
        OpenCase("conek", f"http:w-{i}", f"w-{i}", f"w-{i}", Subject.account, f"w-{i}",
                 Reason.duplicate_charge, service.clock.now(), "api:bench", answers,
                 INTAKE_FACTS)
        for i in range(n)
    ]  # fmt: skip
    return [made[i : i + size] for i in range(0, n, size)]


def count(tree: Path, what: str, n: int, concurrency: int) -> float:
    """Instructions per request of one workload in one tree."""
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}:{tree}"}
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, __file__,
             "--child", what, "--n", str(n), "--concurrency", str(concurrency)],
            check=False, env=env, cwd=tree, capture_output=True, text=True,
        )  # fmt: skip
    found = re.search(r"Collected\s*:\s*([\d,]+)", out.stderr)
    if out.returncode != 0 or found is None:
        raise SystemExit(f"{what} in {tree} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, help="a second checkout to compare with")
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--what", default="hello,preview,intake,writer")
    parser.add_argument("--n", type=int, default=64, help="measured requests per workload")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path[:0] = [str(Path.cwd() / "src"), str(Path.cwd())]
        child(args.child, args.n, args.concurrency)
        return
    trees = [t for t in (args.base, args.tree) if t is not None]
    print(f"{args.n} requests each, {args.concurrency} in flight (intake, writer)\n")
    print("| workload | " + " | ".join(f"{t} (instructions per request)" for t in trees)
          + (" | ratio |" if args.base else " |"))  # fmt: skip
    print("|---|" + "---:|" * (len(trees) + (1 if args.base else 0)))
    for what in [w.strip() for w in args.what.split(",") if w.strip()]:
        per = [count(t, what, args.n, args.concurrency) for t in trees]
        cells = " | ".join(f"{p / 1e6:.3f} M" for p in per)
        ratio = f" | {per[1] / per[0]:.3f} |" if len(per) == 2 else " |"
        print(f"| {what} | {cells}{ratio}", flush=True)


if __name__ == "__main__":
    main()
