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
