"""The decision-only path (the CLI with its ledger commands mounted, the service's commands
and deciding for a tenant) loads no database library: cold start stays short."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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
countries = sorted(m for m in sys.modules if m.startswith("holidays.countries"))
print("COUNTRIES", countries, file=sys.stderr)
import os
from pydantic.plugin import _loader
print("PLUGINS", _loader._plugins, os.environ.get("PYDANTIC_DISABLE_PLUGINS"), file=sys.stderr)
"""


def test_cli_decide_imports_no_service_ledger_or_storage_module() -> None:
    code = DECIDE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"outcome"' in done.stdout, done.stdout + done.stderr  # it did decide
    assert "exit 0" in done.stderr, done.stderr
    assert "LOADED []" in done.stderr, done.stderr


def test_cli_decide_imports_only_the_policys_country_from_holidays() -> None:
    # the package body of holidays.countries imports all ~250 countries; conek is ZA
    code = DECIDE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "COUNTRIES ['holidays.countries.south_africa']" in done.stderr, done.stderr


COUNTRY_THEN_PACKAGE = """
import holidays
from refundable.adapters.holiday_calendar import jurisdiction
za = jurisdiction("ZA")
import holidays.countries, holidays.countries.south_africa as module
same = holidays.countries.SouthAfrica is module.SouthAfrica
many = len(holidays.list_supported_countries()) > 100
print(same, many, len(za.holidays(2026)), sorted(za.weekend))
"""


def test_the_real_countries_package_still_loads_after_one_country() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COUNTRY_THEN_PACKAGE], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "True", "14", "[5,", "6]"], done.stdout + done.stderr


def test_cli_decide_builds_its_models_without_the_pydantic_plugin_scan() -> None:
    """pydantic reads every installed distribution's entry points the first time a model is
    built with plugins on (about 13 ms of a cold decide); decide builds ours with them off
    (``config.pydantic_plugins_paused``) and leaves the variable as it found it."""
    code = DECIDE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "PLUGINS None None" in done.stderr, done.stderr  # never scanned; variable unset again


def test_pausing_the_plugin_scan_keeps_a_users_own_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from refundable.config import PYDANTIC_PLUGINS, pydantic_plugins_paused

    monkeypatch.setenv(PYDANTIC_PLUGINS, "some_plugin")
    with pydantic_plugins_paused():
        assert os.environ[PYDANTIC_PLUGINS] == "__all__"
    assert os.environ[PYDANTIC_PLUGINS] == "some_plugin"
