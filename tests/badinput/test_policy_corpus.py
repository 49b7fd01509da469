"""The permanent bad-input corpus for policy files (issue 8).

Every file under ``policies/`` is a malformed policy a careless or hostile author could write;
``policies/manifest.toml`` says which error code, line and message fragment each must produce.
Each file goes through the Python loader and through ``refundable policy validate``: no
traceback, a non-zero exit, a message naming where (file:line), what and what is allowed, no
control character and nothing unbounded in the output, and nothing written anywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from refundable.core.errors import PolicyInvalid, status_of
from refundable.entrypoints.cli import app
from refundable.policy.loader import load_policy_file

CORPUS = Path(__file__).parent / "policies"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))[
    "case"
]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The longest problem line: the allowed values of the largest enumeration (reasons) fit.
MAX_PROBLEM_CHARS = 1200


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_the_corpus_has_at_least_60_files_each_in_the_manifest():
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert len(files) >= 60
    assert sorted(c["file"] for c in CASES) == files


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_the_loader_refuses_each_file_with_its_problem(case):
    path = CORPUS / case["file"]
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    error = caught.value
    assert error.code == case["code"]
    assert status_of(error).exit_code == 3
    rendered = [p.render() for p in error.problems]
    where = f"{path}:{case['line']}: " if case["line"] else f"{path}: "
    matching = [r for r in rendered if r.startswith(where) and case["message"] in r]
    assert matching, rendered
    assert all("(allowed: " in r for r in matching), matching
    for r in rendered:
        assert r.startswith(f"{path}")
        assert CONTROL.search(r) is None
        assert len(r) <= MAX_PROBLEM_CHARS


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_policy_validate_reports_each_file_without_a_traceback(case):
    path = CORPUS / case["file"]
    result = CliRunner().invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    where = f"{path}:{case['line']}: " if case["line"] else f"{path}: "
    assert where in result.stderr
    assert case["message"] in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_the_real_command_over_the_whole_corpus(tmp_path):
    before = _snapshot(CORPUS)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [sys.executable, "-m", "refundable", "policy", "validate", str(CORPUS)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for case in CASES:
        assert f"{CORPUS / case['file']}:" in result.stderr
    assert CONTROL.search(result.stderr.replace("\n", "")) is None
    assert len(result.stderr) < 400 * len(CASES)  # bounded: no alias bomb expanded into it
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
    assert _snapshot(CORPUS) == before  # nor next to the files


@pytest.mark.parametrize("name", ["scenario-file.yaml", "request-file.yaml", "binary-png.yaml"])
def test_decide_with_a_policy_option_that_is_not_a_policy(tmp_path, name):
    request = tmp_path / "request.yaml"
    request.write_text(
        "requested_at: 2026-03-02T10:00:00+02:00\nreason: duplicate_charge\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["decide", "--policy", str(CORPUS / name), str(request)])
    assert result.exit_code == 3
    assert f"{CORPUS / name}:1: " in result.stderr
    assert "Traceback" not in result.output
