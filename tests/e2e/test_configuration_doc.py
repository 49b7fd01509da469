"""Every setting is documented: docs/configuration.md names exactly the fields of Settings, each
with the variable `Settings.from_env` reads, and nothing outside config.py reads the environment."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from refundable.config import Settings, env_name

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(REFUNDABLE_[A-Z_]+)` \| `([a-z_]+)` \|")


def test_the_table_names_every_field_with_its_variable():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = {m.group(1): m.group(2) for m in map(ROW.match, text.splitlines()) if m}
    assert documented == {env_name(f): f.name for f in fields(Settings)}


# typed fields: text in, value out
SAMPLES = {
    "migrate_on_start": ("yes", True),
    "smtp_port": ("2525", 2525),
    "port": ("8123", 8123),
    "demo": ("no", False),
    "jobs_interval": ("0.5", 0.5),
    "group_commit": ("8", 8),
}


def test_each_documented_variable_is_the_one_read():
    for f in fields(Settings):
        default = ("/tmp/somewhere", Path("/tmp/somewhere")) if f.name.endswith("_dir") else None
        text, value = SAMPLES.get(f.name) or default or ("sqlite:////tmp/x.db",) * 2
        settings = Settings.from_env({env_name(f): text})
        assert getattr(settings, f.name) == value, f.name


def test_only_config_reads_the_environment():
    readers = [
        path.relative_to(ROOT)
        for path in (ROOT / "src" / "refundable").rglob("*.py")
        if path.name != "config.py" and re.search(r"os\.environ|getenv\(", path.read_text())
    ]
    assert readers == []


def test_a_bad_number_says_what_is_allowed():
    import pytest

    from refundable.core.errors import InputError

    cases = {
        "group_commit": (["0", "1001", "2.5", "many", ""], "a whole number from 1 to 1000"),
        "jobs_interval": (["0", "3601", "soon"], "a number from 0.05 to 3600"),
    }
    for name, (values, allowed) in cases.items():
        for raw in values:
            if not raw:  # an empty variable means "not set": the default
                assert Settings.from_env({f"REFUNDABLE_{name.upper()}": raw}) == Settings()
                continue
            with pytest.raises(InputError) as refused:
                Settings.from_env({f"REFUNDABLE_{name.upper()}": raw})
            assert refused.value.where == f"REFUNDABLE_{name.upper()}", raw
            assert refused.value.allowed == allowed, raw


def test_serve_refuses_a_bad_group_commit_before_writing_anything(run, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("REFUNDABLE_DATA_DIR", str(data))
    monkeypatch.setenv("REFUNDABLE_GROUP_COMMIT", "0")
    result = run("serve", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error [invalid_input] REFUNDABLE_GROUP_COMMIT: '0' is not a usable value; "
        "allowed: a whole number from 1 to 1000"
    )
    assert not data.exists()  # no database, no secret key: nothing written
