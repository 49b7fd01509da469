"""Run the real `refundable` command in a subprocess, against small policies written to a
temporary directory, so these tests never depend on the shipped policy files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .texts import POLICY

Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    """Run `python -m refundable ARGS` in tmp_path with wide, colourless output."""

    def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "REFUNDABLE_POLICIES": str(tmp_path / "policies"),
        }
        return subprocess.run(
            [sys.executable, "-m", "refundable", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return _run


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "acme.yaml").write_text(POLICY, encoding="utf-8")
    return folder


@pytest.fixture
def policy_file(policy_dir: Path) -> Path:
    return policy_dir / "acme.yaml"
