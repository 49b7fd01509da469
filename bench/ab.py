"""Two source trees, the same endpoints, alternating: a before/after on a noisy machine.

These VMs move by ±15–20 % from one minute to the next, so a figure measured now and one
measured ten minutes ago do not compare. This script runs the API of two checkouts (``--base``,
e.g. a ``git worktree`` of an older commit, and ``--tree``, this one by default) in turn,
round after round, each on a freshly seeded SQLite database with two uvicorn workers, and drives
each endpoint with wrk exactly as ``bench/http_api.py`` does (same request bodies, same
warm-up). Each row pairs the two runs of one round, measured a minute apart at most.

    git worktree add /tmp/base <commit>
    apt-get install -y wrk
    .venv/bin/python bench/ab.py --base /tmp/base --rounds 3 --runs intake:16 preview:32

Each tree's own code is imported (``PYTHONPATH=<tree>/src``), the seeding included, with
this virtual environment's packages: a base whose dependencies differ needs its own
environment (``--base-python``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.http_api import free_port, wait_up, wrk  # noqa: E402

SEED = (
    "import json, sys; sys.path.insert(0, sys.argv[1]); "
    "from bench.http_api import seed; print(json.dumps(seed(sys.argv[2])))"
)
ROLE = {"intake": "agent", "preview": "read_only"}
PATH = {"intake": "/v1/cases", "preview": "/v1/decisions/preview"}


def measure(
    tree: Path, python: str, endpoint: str, connections: int, seconds: int
) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}:{tree}"}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ab.db"
        shown = subprocess.run([python, "-c", SEED, str(tree), url], env=env, cwd=tree,
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
        keys = json.loads(shown.strip().splitlines()[-1])
        port = free_port()
        serve_env = {**env, "REFUNDABLE_DB_URL": url, "REFUNDABLE_MIGRATE_ON_START": "no"}
        uvicorn = str(Path(python).parent / "uvicorn")
        proc = subprocess.Popen(
            [uvicorn, "--factory", "refundable.entrypoints.api.asgi:app_from_env", "--host",
             "127.0.0.1", "--port", str(port), "--workers", "2", "--no-access-log",
             "--log-level", "warning"], env=serve_env, cwd=tree,
        )  # fmt: skip
        try:
            wait_up(f"http://127.0.0.1:{port}/ready", proc)
            target = f"http://127.0.0.1:{port}{PATH[endpoint]}"
            headers = {"Authorization": f"Bearer {keys[ROLE[endpoint]]}"}
            intake = endpoint == "intake"
            wrk(target, headers, 2, connections, intake)  # warm-up
            return wrk(target, headers, seconds, connections, intake)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--tree", type=Path, default=ROOT, help="this checkout (default)")
    parser.add_argument("--base-python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", nargs="+", default=["intake:16", "preview:32"],
                        help="endpoint:connections, endpoint one of intake, preview")  # fmt: skip
    args = parser.parse_args()
    runs = [(name, int(count)) for name, _, count in (r.partition(":") for r in args.runs)]
    for name, _ in runs:
        if name not in PATH:
            raise SystemExit(f"unknown endpoint {name!r}: use intake or preview")
    print("| round | endpoint | base req/s | base p99 ms | tree req/s | tree p99 ms | ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in range(1, args.rounds + 1):
        for name, connections in runs:
            base = measure(args.base.resolve(), args.base_python, name, connections, args.seconds)
            tree = measure(args.tree.resolve(), sys.executable, name, connections, args.seconds)
            print(f"| {n} | {name} c{connections} | {base['rps']:,.0f} | {base['p99_ms']:.1f} | "
                  f"{tree['rps']:,.0f} | {tree['p99_ms']:.1f} | "
                  f"{tree['rps'] / base['rps']:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
