"""HTTP API throughput and latency under a real load generator (wrk), each figure beside a
bare endpoint of the same framework measured in the same run.

For each store (SQLite file, PostgreSQL database) and each worker count, the script seeds the
demo tenants, starts the API (``uvicorn --factory refundable.entrypoints.api.asgi:app_from_env``,
the app ``refundable serve`` runs) and the bare FastAPI endpoint of ``bench/http_hello.py``
with the same uvicorn settings, then drives each with ``wrk`` (POST, keep-alive):

* ``preview``: ``POST /v1/decisions/preview`` with a Conek cooling-off request and a demo key
  (auth, parse, vocabulary checks, decide, full decision JSON; nothing written);
* ``hello``: ``POST /hello`` with the same body.

* ``intake``: ``POST /v1/cases``, a new case per request (decide + persist + events + outbox);
  its limit in the same run is ``bare commits``: one-row INSERT + COMMIT per transaction on
  the same store with the service's own engine settings (SQLite: WAL, synchronous=FULL), from
  one thread (SQLite serialises writers, so one thread is its ceiling) and from as many
  threads as wrk has connections (PostgreSQL commits concurrently).

It prints requests/s, p50 and p99 from wrk's latency distribution, the API's share of the
bare endpoint's throughput, and the load average before and after (the machine is shared).

    apt-get install -y wrk
    .venv/bin/python bench/http_api.py --duration 10 --connections 32 --workers 1,2

``intake`` is driven at each of ``--intake-connections`` in turn on the same server (rows
``intake c8``, ``intake c16``...): with a closed-loop generator the mean latency is the
number of connections over the rate (32 connections at 1,000/s wait 32 ms on average), so
a p99 bound is met, if at all, below some concurrency; the rows show where.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("REFUNDABLE_TEST_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")  # fmt: skip
REQUEST = {
    "requested_at": "2026-04-10T10:00:00+02:00", "reason": "cooling_off", "written": True,
    "account": {"signup_channel": "direct_marketing"}, "usage": {"consumed_fraction": "0"},
    "charge": {"id": "c1", "kind": "subscription", "billing": "monthly", "amount": "899.00",
               "currency": "ZAR", "charged_at": "2026-04-01T10:00:00+02:00",
               "initial_purchase": True, "payment_method": "card"},
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed(db_url: str) -> dict[str, str]:
    """Migrate and seed the demo tenants; the Conek demo keys by role."""
    sys.path.insert(0, str(ROOT / "src"))
    from refundable.bootstrap import bootstrap
    from refundable.config import Settings
    from refundable.entrypoints.api.state import stores_for
    from refundable.service.seed import seed_demo

    settings = Settings.from_env(db_url=db_url, migrate_on_start=True)
    app = bootstrap(settings)
    try:
        shown = seed_demo(app, stores_for(app)[0], settings.resolved_policies_dir)
    finally:
        app.close()
    return shown["conek"]


def serve(
    target: str, port: int, workers: int, env: dict[str, str], factory: bool
) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "uvicorn"), target, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    if factory:
        cmd.insert(2, "--factory")
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


# Case intake: every request opens a new case (unique ids from the thread, a counter and the
# run's tag), about a customer's account, with the answers and the charge's facts the policy
# asks for, so intake decides it (Conek denies it: the charge is past 8.1's 30 days): case,
# events, decision, scheduled deadlines and outbox rows in one transaction. Without the
# charge's facts the case would wait for them (ADR 0082) and decide nothing; the run checks
# afterwards that every intake case was decided (``intake_states``).
# The charge's facts every intake case carries (the Lua body spells out the same).
INTAKE_FACTS = {"charge": {"kind": "subscription", "amount": "10.00", "currency": "ZAR",
                           "charged_at": "2025-01-01T10:00:00+02:00"}}  # fmt: skip
INTAKE_LUA = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) tag = args[1]; n = 0 end
function request()
  n = n + 1
  local id = "bench-" .. tag .. "-" .. tid .. "-" .. n
  local body = '{"id":"' .. id .. '","customer":"' .. id .. '","subject":"account",' ..
    '"subject_id":"' .. id .. '","reason":"duplicate_charge","information":' ..
    '{"account":"a","transaction":"t","explanation":"charged twice"},"facts":{"charge":' ..
    '{"kind":"subscription","amount":"10.00","currency":"ZAR",' ..
    '"charged_at":"2025-01-01T10:00:00+02:00"}}}'
  return wrk.format("POST", nil, HEADERS, body)
end
"""


def wrk(url: str, headers: dict[str, str], duration: int, connections: int,
        intake: bool = False) -> dict[str, float]:  # fmt: skip
    all_headers = {"Content-Type": "application/json", **headers}
    if intake:
        table = ", ".join(f'["{k}"] = "{v}"' for k, v in all_headers.items())
        text = f"HEADERS = {{{table}}}\n" + INTAKE_LUA
    else:
        lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(REQUEST))}"]
        lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in all_headers.items()]
        text = "\n".join(lines) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(text)
    tag = f"{time.time_ns() % 10**10}"
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name,
         url, "--", tag],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": _ms(lat["50"]), "p99_ms": _ms(lat["99"]),
            "errors": float(non2xx.group(1)) if non2xx else 0.0}  # fmt: skip


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def measure(
    name: str, db_url: str, workers: int, args: argparse.Namespace
) -> list[dict[str, object]]:
    keys = seed(db_url)
    env = {**os.environ, "REFUNDABLE_DB_URL": db_url, "REFUNDABLE_MIGRATE_ON_START": "no",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    rows: list[dict[str, object]] = []
    api = "refundable.entrypoints.api.asgi:app_from_env"
    targets = [("hello", "bench.http_hello:app", False, "/hello", {}),
               ("preview", api, True, "/v1/decisions/preview",
                {"Authorization": f"Bearer {keys['read_only']}"})]  # fmt: skip
    if "intake" in args.endpoints:
        targets.append(("intake", api, True, "/v1/cases",
                        {"Authorization": f"Bearer {keys['agent']}"}))  # fmt: skip
    for label, target, factory, path, headers in targets:
        port = free_port()
        proc = serve(target, port, workers, env, factory)
        try:
            up = f"http://127.0.0.1:{port}" + ("/ready" if factory else "/docs")
            wait_up(up, proc)
            url = f"http://127.0.0.1:{port}{path}"
            intake = label == "intake"
            wrk(url, headers, 2, args.connections, intake)  # warm-up: caches, compiled policy
            sweep = _counts(args.intake_connections) if intake else [args.connections]
            for connections in sweep:  # the same server at each concurrency, in turn
                row = wrk(url, headers, args.duration, connections, intake)
                shown = label if connections == args.connections else f"{label} c{connections}"
                rows.append({"store": name, "workers": workers, "endpoint": shown, **row})
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    if "intake" in args.endpoints:
        states = intake_states(db_url)
        print(f"{name}: intake cases by state {states}", file=sys.stderr)
        if set(states) != {"denied"}:
            raise SystemExit(f"intake did not decide every case: {states}")
        for threads in (1, args.connections):
            rate = bare_commits(db_url, min(args.duration, 5), threads)
            rows.append({"store": name, "workers": workers, "endpoint": f"bare commits x{threads}",
                         "rps": rate, "p50_ms": float("nan"), "p99_ms": float("nan"),
                         "errors": 0.0})  # fmt: skip
    return rows


def intake_states(db_url: str) -> dict[str, int]:
    """How many of the run's intake cases ended in each state (all should be decided)."""
    from sqlalchemy import func, select

    from refundable.adapters.db import schema as t
    from refundable.adapters.db.engine import make_engine

    engine = make_engine(db_url)
    c = t.cases.c
    stmt = select(c.state, func.count()).where(c.case_id.like("bench-%")).group_by(c.state)
    with engine.connect() as conn:
        found = {state: int(n) for state, n in conn.execute(stmt)}
    engine.dispose()
    return found


def _counts(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def bare_commits(db_url: str, seconds: float, threads: int) -> float:
    """Transactions per second that insert one row and commit, on the service's engine."""
    import threading

    from sqlalchemy import text

    from refundable.adapters.db.engine import make_engine

    engine = make_engine(db_url, pool_size=threads, max_overflow=0) if "postgresql" in db_url \
        else make_engine(db_url)  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_commit (k TEXT PRIMARY KEY)"))
    counts = [0] * threads
    run = uuid.uuid4().hex[:8]  # each measurement inserts its own keys
    deadline = time.monotonic() + seconds

    def work(i: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO bench_commit VALUES (:k)"), {"k": f"{run}-{i}-{n}"})
            n += 1
        counts[i] = n

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    began = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - began
    engine.dispose()
    return sum(counts) / elapsed


def pg_database() -> tuple[str, object]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_http_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    # intake's latency at a given rate depends on how many requests wait (Little's law: 32
    # connections at 1,000/s average 32 ms), so it is also measured at lower concurrency
    parser.add_argument("--intake-connections", default="8,16,32")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--endpoints", default="preview,intake")
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows: list[dict[str, object]] = []
    for store in args.stores.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            if store == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    rows += measure(store, f"sqlite:///{tmp}/bench.db", workers, args)
            else:
                url, drop = pg_database()
                try:
                    rows += measure(store, url, workers, args)
                finally:
                    drop()  # type: ignore[operator]
    report(rows, load_before, os.getloadavg())


def report(
    rows: list[dict[str, object]], before: tuple[float, ...], after: tuple[float, ...]
) -> None:
    print(
        f"load average before {before[0]:.2f} {before[1]:.2f}, after {after[0]:.2f} {after[1]:.2f}"
    )
    print(
        "| store | workers | endpoint | requests/s | p50 ms | p99 ms | non-2xx | share of hello |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    hello = {(r["store"], r["workers"]): r["rps"] for r in rows if r["endpoint"] == "hello"}
    bare = {(r["store"], r["workers"]): r["rps"] for r in rows
            if r["endpoint"] == "bare commits x1"}  # fmt: skip
    for r in rows:
        base = hello[(r["store"], r["workers"])]
        share = f"{100 * float(r['rps']) / float(base):.0f} %"  # type: ignore[arg-type]
        if str(r["endpoint"]).startswith("bare commits"):
            share = "(the limit of intake)"
        key = (r["store"], r["workers"])
        if str(r["endpoint"]).startswith("intake") and key in bare:
            share += f" ({100 * float(r['rps']) / float(bare[key]):.0f} % of bare commits x1)"  # type: ignore[arg-type]
        print(
            f"| {r['store']} | {r['workers']} | {r['endpoint']} | {float(r['rps']):,.0f} | "  # type: ignore[arg-type]
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {int(r['errors'])} | {share} |"
        )  # type: ignore[call-overload]


if __name__ == "__main__":
    main()
