"""The decision-only path (the CLI with its ledger commands mounted, the service's commands
and deciding for a tenant) loads no database library: cold start stays short."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from refundable.entrypoints import cli  # mounts the ledger and db commands
import refundable.service.decisions, refundable.service.commands
print(sorted(m for m in ("sqlalchemy", "alembic", "psycopg") if m in sys.modules))
"""


def test_deciding_imports_no_storage_library() -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# A cold `refundable decide --policy ID` runs in a fresh process; what it imports is what it
# pays for (docs/benchmarks.md, start-up). None of these belong to deciding one request.
HEAVY = (
    "refundable.service",
    "refundable.ledger",
    "refundable.entrypoints.cli_ledger",
    "refundable.entrypoints.cli_record",
    "refundable.entrypoints.cli_db",
    "refundable.entrypoints.cli_jobs",
    "refundable.entrypoints.cli_schema",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "rich",
)

DECIDE = """
import sys
from importlib.resources import files
from refundable.entrypoints.cli import app
request = files("refundable") / "examples" / "requests" / "conek-late-duplicate.yaml"
code = app(["decide", "--policy", "conek", "--json", str(request)], standalone_mode=False)
heavy = {heavy!r}
loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))
print("exit", code, file=sys.stderr)
print("LOADED", loaded, file=sys.stderr)
"""


def test_cli_decide_imports_no_service_ledger_or_storage_module() -> None:
    code = DECIDE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"outcome"' in done.stdout, done.stdout + done.stderr  # it did decide
    assert "exit 0" in done.stderr, done.stderr
    assert "LOADED []" in done.stderr, done.stderr
