"""Case intake (``POST /v1/cases``) against SQLite's one write lock, in process, no network.

Issue 11: on SQLite every write transaction holds the file's write lock from ``BEGIN
IMMEDIATE`` to its commit, so intake's throughput is capped at 1 / (time in the lock)
whatever the cores, and its tail is set by how fairly waiting writers get the lock. Two
measurements, both calling the ASGI app of ``create_app`` directly (``bench/http_profile.py``'s
minimal ASGI receive/send, no HTTP parsing, no socket):

* ``inline``: one request at a time with the thread pool bypassed (on SQLite the command
  still goes to the group-commit writer thread, ADR 0072, in batches of one): this process's
  CPU per request, the wall time per request, and the wall time per request spent holding the
  write lock (from the end of ``BEGIN IMMEDIATE`` to the end of the COMMIT or ROLLBACK, every
  write transaction of the request counted);
* ``load``: ``--concurrency`` requests in flight per process, through the real group commit
  and thread pool as under uvicorn (a batch's lock time is shared by its requests), in
  ``--processes`` processes on one database file (as ``uvicorn --workers``): requests/s, p50
  and p99 latency. A stand-in for ``bench/http_api.py``'s wrk run that leaves
  out HTTP (wrk and the sockets would share the same two cores).

    .venv/bin/python bench/intake_lock.py --n 500 --repeat 5
    .venv/bin/python bench/intake_lock.py --mode load --seconds 6 --processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.http_profile import build, call, intake_body, scope_of  # noqa: E402


class LockClock:
    """Wall time between the end of ``BEGIN IMMEDIATE`` and the end of the COMMIT/ROLLBACK
    that follows it, summed over every write transaction on ``engine`` (each connection
    timed on its own: several threads write in turn)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        from refundable.adapters.db.engine import READONLY

        self.held_s = self.commit_s = self.thread_cpu_s = 0.0
        self.transactions = 0
        self.connects = 0
        self._open: dict[int, tuple[float, float]] = {}  # id(connection) -> (wall, cpu)
        dialect = engine.dialect

        @event.listens_for(engine, "begin")
        def began(conn: Any) -> None:  # registered after the engine's own: BEGIN has run
            if not conn.get_execution_options().get(READONLY, False):
                # keyed by the pooled connection, which do_commit/do_rollback are given
                self._open[id(conn.connection)] = (time.perf_counter(), time.thread_time())

        @event.listens_for(engine, "connect")
        def connected(*_args: Any) -> None:
            self.connects += 1

        for name in ("do_commit", "do_rollback"):
            self._wrap(dialect, name)

    def _wrap(self, dialect: Any, name: str) -> None:
        inner = getattr(dialect, name)

        def ended(dbapi_connection: Any) -> None:
            began = time.perf_counter()
            try:
                inner(dbapi_connection)
            finally:
                since = self._open.pop(id(dbapi_connection), None)
                if since is not None:
                    now = time.perf_counter()
                    self.commit_s += now - began
                    self.thread_cpu_s += time.thread_time() - since[1]
                    self.held_s += now - since[0]
                    self.transactions += 1

        setattr(dialect, name, ended)


def inline_threadpool() -> None:
    """Run what the routes hand to the thread pool on the calling thread (for one-at-a-time
    figures: no thread handoff, and the profile of the handler in the same thread)."""
    import starlette.concurrency as sc

    from refundable.entrypoints.api import idempotent
    from refundable.entrypoints.api.routes import cases, common

    async def direct(func: Any, *args: Any, **kw: Any) -> Any:
        return func(*args, **kw)

    for module in (sc, common, cases, idempotent):
        module.run_in_threadpool = direct  # type: ignore[attr-defined]


def inline(url: str, n: int, repeat: int) -> None:
    inline_threadpool()
    asgi, keys, service = build(url)
    clock = LockClock(service.engine)
    scope = scope_of("/v1/cases", keys["agent"])
    loop = asyncio.new_event_loop()

    async def drive(start: int, count: int) -> None:
        for i in range(start, start + count):
            status = await call(asgi, scope, intake_body(i))
            if status >= 300:
                raise SystemExit(f"intake answered {status}")

    loop.run_until_complete(drive(10**6, 100))  # warm: caches, compiled policy, statements
    batches = []
    for b in range(repeat):
        clock.held_s = clock.commit_s = 0.0
        clock.transactions = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        loop.run_until_complete(drive(b * n, n))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        batches.append((cpu / n, wall / n, clock.held_s / n, clock.commit_s / n,
                        clock.transactions / n))  # fmt: skip
    for label, pick in (("best", min), ("median", statistics.median)):
        cpu, wall, held, commit = (1e3 * pick(b[i] for b in batches) for i in range(4))
        print(
            f"inline, {repeat} x {n} intakes, {label} batch: {cpu:.3f} ms CPU, {wall:.3f} ms "
            f"wall, {held:.3f} ms holding the write lock (of which COMMIT {commit:.3f} ms) per "
            f"request ({batches[0][4]:.1f} write transactions each)"
        )
    service.close()


def _load_worker(url: str, key: str, seconds: float, concurrency: int, tag: int, out: Any,
                 switch: float) -> None:  # fmt: skip
    if switch:
        sys.setswitchinterval(switch)
    from refundable.bootstrap import bootstrap
    from refundable.config import Settings
    from refundable.entrypoints.api.app import create_app

    settings = Settings.from_env(db_url=url, migrate_on_start=False)
    service = bootstrap(settings)
    asgi = create_app(service, settings)
    clock = LockClock(service.engine)
    scope = scope_of("/v1/cases", key)
    latencies: list[float] = []
    failures = 0

    async def client(c: int, deadline: float) -> None:
        nonlocal failures
        i = 0
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            status = await call(asgi, scope, intake_body(tag * 10**8 + c * 10**6 + i))
            latencies.append(time.perf_counter() - began)
            failures += status >= 300
            i += 1

    async def main() -> None:
        await asyncio.gather(*(client(c, time.perf_counter() + 1.0) for c in range(4)))  # warm
        latencies.clear()
        clock.held_s = clock.commit_s = clock.thread_cpu_s = 0.0
        clock.connects = 0
        cpu0 = time.process_time()
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(client(100 + c, deadline) for c in range(concurrency)))
        usage.append((time.process_time() - cpu0) / seconds)

    usage: list[float] = []
    asyncio.run(main())
    out.put((latencies, failures, clock.held_s / seconds, usage[0], clock.commit_s,
             clock.thread_cpu_s, clock.connects))  # fmt: skip
    service.close()


def load(url: str, seconds: float, concurrency: int, processes: int, switch: float) -> None:
    _asgi, keys, service = build(url)
    service.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [
        ctx.Process(
            target=_load_worker, args=(url, keys["agent"], seconds, concurrency, p, out, switch)
        )
        for p in range(processes)
    ]
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
    latencies = sorted(x for r in results for x in r[0])
    failures = sum(r[1] for r in results)
    held = sum(r[2] for r in results)
    cpu = sum(r[3] for r in results)
    n = max(len(latencies), 1)
    commit_ms, held_cpu_ms = (1e3 * sum(r[i] for r in results) / n for i in (4, 5))
    connects = sum(r[6] for r in results) / n
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(
        f"load, {processes} process(es) x {concurrency} in flight, {seconds:.0f} s: "
        f"{len(latencies) / seconds:,.0f} requests/s, p50 {1e3 * statistics.median(latencies):.1f}"
        f" ms, p99 {1e3 * p99:.1f} ms, max {1e3 * latencies[-1]:.1f} ms, non-2xx {failures}; "
        f"write lock held {held:.0%} of the time, "
        f"{1e3 * held * seconds / n:.2f} ms per request (COMMIT {commit_ms:.2f} ms, "
        f"the holder's own CPU {held_cpu_ms:.2f} ms); CPU {cpu:.2f} cores; "
        f"{connects:.2f} new connections per request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["inline", "load"], default="inline")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--switch-interval", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/intake.db"
        if args.mode == "inline":
            inline(url, args.n, args.repeat)
        else:
            load(url, args.seconds, args.concurrency, args.processes, args.switch_interval)


if __name__ == "__main__":
    main()
