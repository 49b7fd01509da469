"""Several processes starting at once on a fresh database all migrate it without crashing
(issue 8: 16 of 24 died on PostgreSQL). PostgreSQL serialises them with an advisory lock,
SQLite with its write lock; the later ones find the schema at head and do nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from refundable.adapters.db.engine import head_revision

PROCESSES = 8
MIGRATE = (
    "import sys; from refundable.adapters.db.engine import make_engine, migrate, "
    "schema_revision; e = make_engine(sys.argv[1]); migrate(e); "
    "print('schema at', schema_revision(e))"
)


def _migrate_together(url: str) -> list[subprocess.CompletedProcess[str]]:
    # What `refundable db upgrade` (and a start with migrate_on_start) runs, without loading
    # the whole CLI in each process.
    cmd = [sys.executable, "-c", MIGRATE, url]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(cmd, p.returncode, out, err))
    return done


def _check(url: str) -> None:
    done = _migrate_together(url)
    failed = [d.stderr[-2000:] for d in done if d.returncode != 0]
    assert not failed, failed[0]
    assert all(f"schema at {head_revision()}" in d.stdout for d in done)
    engine = create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == [head_revision()]


@pytest.mark.postgres
def test_processes_migrating_a_fresh_postgresql_database_together_all_succeed(
    fresh_pg_url: str,
) -> None:
    _check(fresh_pg_url)


def test_processes_migrating_a_fresh_sqlite_file_together_all_succeed(
    fresh_sqlite_url: str,
) -> None:
    _check(fresh_sqlite_url)
