"""`refundable serve` as a newcomer runs it: a real process on a free port with a fresh data
directory; it becomes ready, prints its demo keys, answers the API with them, and stops
cleanly on SIGTERM. Then `api-keys create|list|revoke` against the same store."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "refundable"
REQUEST = {
    "requested_at": "2026-04-10T10:00:00+02:00",
    "reason": "cooling_off",
    "written": True,
    "account": {"signup_channel": "direct_marketing"},
    "usage": {"consumed_fraction": "0"},
    "charge": {"id": "c1", "kind": "subscription", "billing": "monthly", "amount": "899.00",
               "currency": "ZAR", "charged_at": "2026-04-01T10:00:00+02:00",
               "initial_purchase": True, "payment_method": "card"},
}  # fmt: skip


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDABLE_")}
    return {**env, "REFUNDABLE_DATA_DIR": str(data_dir), "REFUNDABLE_JOBS_INTERVAL": "0.2"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str], Path]]:
    proc = subprocess.Popen([str(BIN), "serve", "--port", "0"], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        banner = _read_banner(proc)
        base = re.search(r"running on (http://\S+)", banner)
        key = re.search(r"conek\s+agent\s+(\S+)", banner)
        assert base and key, banner
        yield base.group(1), key.group(1), proc, tmp_path
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def _read_banner(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # ends when the process does (then the assert shows why)
        lines.append(line)
        if line.startswith("Stop with"):
            break
    return "".join(lines)


def test_serve_answers_the_api_and_stops_cleanly(served: tuple) -> None:  # type: ignore[type-arg]
    base, key, proc, _ = served
    assert httpx.get(f"{base}/ready", timeout=30).json() == {"status": "ready"}
    r = httpx.post(f"{base}/v1/decisions/preview", json=REQUEST, timeout=30,
                   headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["net"]) == ("approve", "899.00")
    assert httpx.post(f"{base}/v1/decisions/preview", json=REQUEST, timeout=30).status_code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    assert "Traceback" not in stderr, stderr  # e.g. the scheduled-work thread died at start
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [e for e in logs if e.get("logger") == "refundable.access"]
    assert {e["status"] for e in access} >= {200, 401}
    assert all(e["request_id"] for e in access)


def test_api_keys_cli_creates_lists_and_revokes(served: tuple) -> None:  # type: ignore[type-arg]
    base, _, _proc, data_dir = served
    env = _env(data_dir)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN), "api-keys", *args]
        return subprocess.run(command, check=False, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    made = cli("create", "--tenant", "kero", "--role", "read_only", "--name", "ci", "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["key"]
    headers = {"Authorization": f"Bearer {key}"}
    kero = {**REQUEST, "reason": "cooling_off"}
    assert httpx.post(f"{base}/v1/decisions/preview", json=kero, headers=headers,
                      timeout=30).status_code != 401  # fmt: skip
    key_id = key.split(".")[0].removeprefix("rk_")
    listed = json.loads(cli("list", "--tenant", "kero", "--json").stdout)
    assert [k["key_id"] for k in listed if k["name"] == "ci"] == [key_id]
    assert key.split(".")[1] not in json.dumps(listed)  # never the secret
    assert cli("revoke", "--tenant", "kero", key_id).returncode == 0
    assert cli("revoke", "--tenant", "kero", key_id).returncode == 4  # already revoked
    assert cli("create", "--tenant", "nobody", "--role", "admin").returncode == 4
    assert cli("create", "--tenant", "kero", "--role", "boss").returncode == 2
    time.sleep(5.5)  # the server remembers a key for 5 s (ADR 0058)
    assert httpx.post(f"{base}/v1/decisions/preview", json=kero, headers=headers,
                      timeout=30).status_code == 401  # fmt: skip


def test_a_restart_finds_the_demo_as_it_was(served: tuple) -> None:  # type: ignore[type-arg]
    """The demo data is there for a newcomer (customers, lots about to expire, subscriptions
    in every state) and a second start on the same data replays the seed, keys included."""
    base, key, proc, data_dir = served
    headers = {"Authorization": f"Bearer {key}"}
    lots = httpx.get(f"{base}/v1/credit_lots", headers=headers, timeout=30).json()["data"]
    assert "demo-lot-expiring" in [lot["id"] for lot in lots]
    sub = httpx.get(f"{base}/v1/subscriptions/demo-past_due", headers=headers, timeout=30)
    assert sub.json()["state"] == "past_due", sub.text
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    again = subprocess.Popen([str(BIN), "serve", "--port", "0"], env=_env(data_dir),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        banner = _read_banner(again)
        assert key in banner, banner
        base2 = re.search(r"running on (http://\S+)", banner).group(1)  # type: ignore[union-attr]
        customer = httpx.get(f"{base2}/v1/customers/demo-alice", headers=headers, timeout=30)
        assert customer.status_code == 200, customer.text
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
        assert again.stderr is not None and "Traceback" not in again.stderr.read()
