"""Where an API request's time goes, in one process and without a network: the ASGI app of
``create_app`` is called directly (a minimal ASGI receive/send, no HTTP parsing, no socket)
under ``cProfile``, for the decision preview, case intake or the bare hello endpoint.

It answers "what does the app itself do per request", which a load generator over HTTP
cannot: the figures are the app's own CPU per request, and the profile's top functions.

    .venv/bin/python bench/http_profile.py --endpoint preview --n 3000 --top 30
    .venv/bin/python bench/http_profile.py --endpoint intake --n 500 --store postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.http_api import INTAKE_FACTS, REQUEST, pg_database  # noqa: E402


def build(db_url: str) -> tuple[Any, dict[str, str], Any]:
    from refundable.bootstrap import bootstrap
    from refundable.config import Settings
    from refundable.entrypoints.api.app import create_app
    from refundable.entrypoints.api.state import stores_for
    from refundable.service.seed import seed_demo

    settings = Settings.from_env(db_url=db_url, migrate_on_start=True)
    app = bootstrap(settings)
    shown = seed_demo(app, stores_for(app)[0], settings.resolved_policies_dir)
    return create_app(app, settings), shown["conek"], app


def scope_of(path: str, key: str | None) -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("b", 80),
    }  # fmt: skip


async def call(asgi: Any, scope: dict[str, Any], body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await asyncio.wait_for(asgi(dict(scope), receive, send), 30)
    return status


def intake_body(i: int) -> bytes:
    tag = f"p{os.getpid()}-{i}"
    return json.dumps({
        "id": tag, "customer": tag, "subject": "account", "subject_id": tag,
        "reason": "duplicate_charge",
        "information": {"account": "a", "transaction": "t", "explanation": "charged twice"},
        "facts": INTAKE_FACTS,
    }).encode()  # fmt: skip


async def drive(asgi: Any, endpoint: str, keys: dict[str, str], n: int, start: int) -> float:
    if endpoint == "hello":
        scope, key_body = scope_of("/hello", None), json.dumps(REQUEST).encode()
    elif endpoint == "preview":
        scope, key_body = scope_of("/v1/decisions/preview", keys["read_only"]), b""
        key_body = json.dumps(REQUEST).encode()
    else:
        scope, key_body = scope_of("/v1/cases", keys["agent"]), b""
    began = time.perf_counter()
    for i in range(start, start + n):
        body = intake_body(i) if endpoint == "intake" else key_body
        status = await call(asgi, scope, body)
        if status >= 300:
            raise SystemExit(f"{endpoint} answered {status}")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", choices=["preview", "intake", "hello"], default="preview")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    drop = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.store == "sqlite":
            url = f"sqlite:///{tmp}/profile.db"
        else:
            url, drop = pg_database()
        try:
            if args.endpoint == "hello":
                from bench.http_hello import app as asgi

                keys: dict[str, str] = {}
                service = None
            else:
                asgi, keys, service = build(url)
            loop = asyncio.new_event_loop()
            loop.run_until_complete(drive(asgi, args.endpoint, keys, 50, 10**6))  # warm
            profile = cProfile.Profile()
            if not args.no_profile:
                profile.enable()
            cpu0 = time.process_time()
            wall = loop.run_until_complete(drive(asgi, args.endpoint, keys, args.n, 0))
            cpu = time.process_time() - cpu0
            profile.disable()
            print(
                f"{args.endpoint} on {args.store}: {args.n} requests, "
                f"{1e3 * wall / args.n:.3f} ms wall and {1e3 * cpu / args.n:.3f} ms CPU each "
                f"({'profiled' if not args.no_profile else 'not profiled'})"
            )
            if not args.no_profile:
                pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
            if service is not None:
                service.close()
        finally:
            if drop is not None:
                drop()  # type: ignore[operator]


if __name__ == "__main__":
    main()
