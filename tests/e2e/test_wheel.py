"""The package, not the checkout: build the wheel, install it in a fresh virtual environment
(the locked versions of its dependencies, bytecode compiled), and use it from a directory that
has nothing to do with the source tree, with a home directory of its own.

Uses the pinned uv that `make setup` installs in .tools/ (CI runs `make test`, so it is there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"

Run = Callable[..., subprocess.CompletedProcess[str]]


def _uv(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [str(UV), *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"uv {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel and the locked versions of its dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    _uv("build", "--wheel", "--out-dir", str(base / "dist"), "--no-create-gitignore")
    (wheel,) = (base / "dist").glob("refundable-*.whl")
    locked = base / "constraints.txt"
    _uv("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-o", str(locked))
    venv = base / "venv"
    _uv("venv", "--python", sys.executable, "--no-project", str(venv))
    py = venv / "bin" / "python"
    _uv("pip", "install", "--python", str(py), "--compile-bytecode", "-c", str(locked), str(wheel))
    return venv


@pytest.fixture(scope="module")
def elsewhere(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """Run the installed `refundable` in an unrelated directory, with a home of its own and no
    REFUNDABLE_* variables inherited from the test run."""
    cwd = tmp_path_factory.mktemp("x")
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFUNDABLE_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), COLUMNS="200", NO_COLOR="1")
    env["PATH"] = f"{installed / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(installed / "bin" / "refundable"), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return cwd, run


def _package_dir(venv: Path) -> Path:
    (found,) = venv.glob("lib/python*/site-packages/refundable")
    return found


def test_the_wheel_decides_a_request_from_an_unrelated_directory(elsewhere, installed):
    cwd, run = elsewhere
    example = _package_dir(installed) / "examples" / "requests" / "conek-late-duplicate.yaml"
    request = shutil.copy(example, cwd / "request.yaml")
    result = run("decide", "--policy", "conek", Path(request).name, "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["policy_version"] == "2025-10-25"
    assert decision["outcome"] in {"approve", "deny", "review"}
    assert decision["clauses"]
    assert _package_dir(installed) != ROOT / "src" / "refundable"


def test_the_wheel_runs_the_shipped_scenarios(elsewhere):
    _, run = elsewhere
    result = run("policy", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith(" passed, 0 failed")


def test_the_wheel_reports_its_version_and_license(elsewhere, installed):
    _, run = elsewhere
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("refundable ")
    (dist,) = _package_dir(installed).parent.glob("refundable-*.dist-info")
    meta = (dist / "METADATA").read_text()
    assert "License-Expression: Apache-2.0" in meta
    assert (dist / "licenses" / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()


def test_the_default_database_is_in_the_user_data_directory(elsewhere, installed):
    cwd, run = elsewhere
    result = run("ledger", "balances", "conek")
    assert result.returncode == 4, result.stderr
    assert "/data/refundable/refundable.db" in result.stderr
    assert not list(_package_dir(installed).rglob("*.db"))
    assert not list(cwd.rglob("*.db"))


def test_postgres_without_the_extra_names_the_extra(elsewhere, installed):
    _, run = elsewhere
    assert not list(_package_dir(installed).parent.glob("psycopg*"))
    result = run("ledger", "balances", "conek", "--db", "postgresql+psycopg://u@127.0.0.1/db")
    assert result.returncode == 78, result.stderr
    assert "[configuration_error]" in result.stderr
    assert "refundable[postgres]" in result.stderr
