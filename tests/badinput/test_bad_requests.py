"""The permanent bad-request corpus: every malformed request in tests/badinput/requests/ is
refused with its error code and location, through the CLI (`refundable decide`, in-process)
and through the Python API (`parse_request_text`), with no traceback, a non-zero exit, a
message that says what, where and what is allowed, nothing echoed unbounded or unprintable,
and nothing written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from refundable import bootstrap as wiring
from refundable.core.errors import RefundableError, status_of
from refundable.core.limits import MAX_DOCUMENT_BYTES
from refundable.entrypoints.cli import app
from refundable.policy.requests import parse_request_text, zones

CORPUS = Path(__file__).parent / "requests"
MANIFEST: list[dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text("utf-8"))
# An error message is one line a person reads: bounded whatever the input was.
MAX_MESSAGE = 600


def test_the_corpus_is_large_and_every_file_is_listed_once():
    listed = [case["file"] for case in MANIFEST]
    on_disk = sorted(p.name for p in CORPUS.iterdir() if p.name != "manifest.yaml")
    assert len(listed) >= 100
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


def _policy_option(case: dict[str, Any]) -> str | None:
    args = case.get("args", [])
    return args[args.index("--policy") + 1] if "--policy" in args else None


def _refusal(case: dict[str, Any]) -> RefundableError:
    """Run one case through the Python API; return the error it must raise."""
    data = (CORPUS / case["file"]).read_bytes()
    registry = wiring.registry()
    with pytest.raises(RefundableError) as caught:
        request = parse_request_text(data, policy=_policy_option(case), zone=zones(registry))
        assert case.get("stage") == "decide", "parsed, but the corpus says parsing refuses it"
        wiring.decide(registry, request)
    return caught.value


@pytest.mark.parametrize("case", MANIFEST, ids=[c["file"] for c in MANIFEST])
def test_the_python_api_refuses_it_with_code_and_location(case):
    error = _refusal(case)
    assert (error.code, error.where) == (case["code"], case["where"]), str(error)
    assert error.allowed, f"{case['file']}: the error does not say what is allowed"
    text = str(error)
    assert len(text) <= MAX_MESSAGE
    assert text.isprintable()


@pytest.mark.parametrize("case", MANIFEST, ids=[c["file"] for c in MANIFEST])
def test_the_cli_refuses_it_naming_what_where_and_what_is_allowed(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFUNDABLE_DATA_DIR", str(tmp_path / "data"))
    path = CORPUS / case["file"]
    result = CliRunner().invoke(app, ["decide", *case.get("args", []), str(path)])
    expected_exit = status_of(_refusal(case)).exit_code
    assert result.exit_code == expected_exit != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    err = result.stderr
    assert "Traceback" not in result.output
    assert f"[{case['code']}] {case['where']}: " in err
    assert "allowed: " in err
    assert len(err) <= 2 * MAX_MESSAGE * 21  # the first problem plus at most 20 more lines
    assert "\x1b" not in err and "\x00" not in err
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written: no database, no file


def test_an_oversized_request_is_refused_before_it_is_read_whole(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"policy: conek\nevidence: [" + b"a, " * (MAX_DOCUMENT_BYTES // 3) + b"a]\n")
    with pytest.raises(RefundableError) as caught:
        parse_request_text(big.read_bytes())
    assert (caught.value.code, caught.value.where) == ("input_too_large", "request")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["decide", str(big)])
    assert result.exit_code == 2
    assert "[input_too_large] request: the request is larger than 1,000,000 bytes" in (
        result.stderr
    )
    assert sorted(os.listdir(tmp_path)) == ["big.yaml"]


def test_an_oversized_request_on_stdin_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["decide", "-"], input=b"#" * (MAX_DOCUMENT_BYTES + 10))
    assert result.exit_code == 2
    assert "[input_too_large]" in result.stderr


def test_a_missing_request_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["decide", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "[malformed_input]" in result.stderr
    assert "cannot read the request file: No such file or directory" in result.stderr
    assert "Traceback" not in result.output
