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


def _start(data_dir: Path, log: str = "stderr.log") -> subprocess.Popen[str]:
    """``serve`` with its logs in a file of the data directory (a pipe nobody reads while it
    runs would fill up and stop the server mid-log)."""
    with (data_dir / log).open("w") as err:
        return subprocess.Popen([str(BIN), "serve", "--port", "0"], env=_env(data_dir),
                                stdout=subprocess.PIPE, stderr=err, text=True)  # fmt: skip


def _logs(data_dir: Path, log: str = "stderr.log") -> str:
    return (data_dir / log).read_text()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str], Path]]:
    proc = _start(tmp_path)
    try:
        banner = _read_banner(proc)
        (tmp_path / "banner.txt").write_text(banner)
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
    base, key, proc, data_dir = served
    assert httpx.get(f"{base}/ready", timeout=30).json() == {"status": "ready"}
    r = httpx.post(f"{base}/v1/decisions/preview", json=REQUEST, timeout=30,
                   headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["net"]) == ("approve", "899.00")
    assert httpx.post(f"{base}/v1/decisions/preview", json=REQUEST, timeout=30).status_code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    stderr = _logs(data_dir)
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
    again = _start(data_dir, "again.log")
    try:
        banner = _read_banner(again)
        assert key in banner, banner
        base2 = re.search(r"running on (http://\S+)", banner).group(1)  # type: ignore[union-attr]
        customer = httpx.get(f"{base2}/v1/customers/demo-alice", headers=headers, timeout=30)
        assert customer.status_code == 200, customer.text
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
        assert "Traceback" not in _logs(data_dir, "again.log")


def test_the_demo_without_a_relay_keeps_its_mail_in_a_local_sink(served: tuple) -> None:  # type: ignore[type-arg]
    """No REFUNDABLE_SMTP_HOST: the demo's notices go over SMTP to a sink the server started,
    kept as .eml files with a log line each, and the banner says so. The seed's notices, of
    the demo's past, are out before the server answers: the outbox is not days behind."""
    base, _key, proc, data_dir = served
    banner = (data_dir / "banner.txt").read_text()
    assert f"one .eml per message in {data_dir / 'mail'}" in banner, banner
    banner_mail = sorted((data_dir / "mail").glob("*.eml"))
    assert banner_mail, "the seed's notices went to the sink before the banner"
    assert "Subject:" in banner_mail[0].read_text()
    scraped = httpx.get(f"{base}/metrics", timeout=30).text
    age = re.search(r'refundable_outbox\{what="oldest_age_seconds"\} (\S+)', scraped)
    assert age is not None and float(age.group(1)) < 86400, scraped  # not the seed's 8 days
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    logs = _logs(data_dir)
    lines = [json.loads(x) for x in logs.splitlines() if x.startswith("{")]
    kept = [e for e in lines if e.get("logger") == "refundable.mail"]
    assert len(kept) >= len(banner_mail)
    assert all("mail to " in e["message"] and ".eml" in e["message"] for e in kept)
    assert not [e for e in lines if e.get("level") == "warning" and "outbox" in e["message"]]
