"""SQLite writers take turns at the writer gate, not in SQLite's busy handler (issue 11).

The busy handler polls with sleeps and is unfair: under load a writer could wait seconds
while others, polling at the right moment, went first. These tests turn SQLite's own busy
timeout to zero, so a writer that reaches ``BEGIN IMMEDIATE`` while another holds the lock
fails at once: they pass only if the gate made every writer wait its turn before SQLite.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from races import attempts, race
from refundable.adapters.db.engine import begin_write, make_engine
from refundable.adapters.db.writer_gate import LOCK_SUFFIX, FifoLock, FileLock
from refundable.core.errors import StoreBusy


def _no_busy_handler(engine: Engine) -> Engine:
    """SQLite itself never waits on this engine's connections."""

    @event.listens_for(engine, "connect")
    def zero(dbapi_connection: Any, _record: Any) -> None:  # after make_engine's own
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


def _table(url: str) -> None:
    with make_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS w (k TEXT PRIMARY KEY)"))


def _write(engine: Engine, key: str) -> None:
    conn, tx = begin_write(engine)
    try:
        conn.execute(text("INSERT INTO w VALUES (:k)"), {"k": key})
        time.sleep(0.001)  # hold the lock a while: the others arrive meanwhile
        tx.commit()
    finally:
        conn.close()


def _count(url: str) -> int:
    with make_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM w")).scalar_one())


def test_threads_of_a_process_queue_at_the_gate(tmp_path: Path) -> None:
    """12 threads, half on one engine and half on engines of their own (one gate per file),
    20 writes each, SQLite never waiting: every write lands."""
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    _table(url)
    shared = _no_busy_handler(make_engine(url, busy_timeout_s=30))
    threads, each = 12, 20

    def work(n: int) -> list[BaseException]:
        engine = shared if n % 2 else _no_busy_handler(make_engine(url, busy_timeout_s=30))
        return attempts(each, lambda i: _write(engine, f"{n}-{i}"))

    assert race(threads, work) == [[]] * threads
    assert _count(url) == threads * each


_CHILD = textwrap.dedent("""
    import sys, threading, time
    from sqlalchemy import event, text
    from refundable.adapters.db.engine import begin_write, make_engine
    url, name, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    engine = make_engine(url, busy_timeout_s=30)
    @event.listens_for(engine, "connect")
    def zero(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=0")
    errors = []
    def work(t):
        for i in range(25):
            try:
                conn, tx = begin_write(engine)
                conn.execute(text("INSERT INTO w VALUES (:k)"), {"k": f"{name}-{t}-{i}"})
                time.sleep(0.001)
                tx.commit()
                conn.close()
            except Exception as err:
                errors.append(repr(err))
    time.sleep(max(0.0, start - time.time()))
    pool = [threading.Thread(target=work, args=(t,)) for t in range(3)]
    for th in pool: th.start()
    for th in pool: th.join()
    print(len(errors), errors[:1])
""")


def test_processes_queue_at_the_gate(tmp_path: Path) -> None:
    """Two processes (as ``uvicorn --workers 2``), 3 threads each, SQLite never waiting: the
    file lock beside the database lets one process write at a time, and every write lands."""
    url = f"sqlite:///{tmp_path / 'procs.db'}"
    _table(url)
    start = f"{time.time() + 3:.3f}"  # both start writing together, once imported
    command = [sys.executable, "-c", _CHILD, url]
    children = [
        subprocess.Popen([*command, name, start], stdout=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    outputs = [child.communicate(timeout=120)[0].strip() for child in children]
    assert outputs == ["0 []", "0 []"]
    assert _count(url) == 2 * 3 * 25
    assert (tmp_path / ("procs.db" + LOCK_SUFFIX)).exists()


def test_a_writer_gives_up_at_the_gate_after_its_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wait.db'}"
    _table(url)
    engine = make_engine(url, busy_timeout_s=0.2)
    held, tx = begin_write(engine)  # a writer of this process holds the gate
    caught: list[BaseException] = []

    def other() -> None:
        try:
            _write(engine, "late")
        except BaseException as err:  # asserted on below
            caught.append(err)

    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert len(caught) == 1 and isinstance(caught[0], StoreBusy)
    tx.rollback()
    held.close()
    _write(engine, "late")  # the gate was let go by the rollback and by the timed-out writer
    assert _count(url) == 1


def test_the_fifo_lock_serves_waiters_in_order() -> None:
    lock = FifoLock()
    assert lock.acquire(1)
    order: list[int] = []

    def wait(n: int) -> None:
        assert lock.acquire(5)
        order.append(n)
        lock.release()

    pool = []
    for n in range(6):
        th = threading.Thread(target=wait, args=(n,))
        th.start()
        while len(lock._queue) < n + 1:  # queued before the next one starts
            time.sleep(0.001)
        pool.append(th)
    lock.release()
    for th in pool:
        th.join()
    assert order == list(range(6))
    assert lock.acquire(0)  # free again


def test_the_fifo_lock_times_out_and_forgets_the_waiter() -> None:
    lock = FifoLock()
    assert lock.acquire(1)
    assert not lock.acquire(0.05)
    assert not lock._queue
    lock.release()
    assert lock.acquire(0)


def test_a_file_lock_obtained_after_its_asker_gave_up_is_let_go(tmp_path: Path) -> None:
    """Two opens of one lock file exclude each other like two processes. The waiter's helper
    thread stays blocked in ``flock`` after its asker timed out; when it finally gets the lock
    with nobody waiting, it must let go, or the other process would be locked out forever."""
    path = str(tmp_path / "x.writer-lock")
    first, second = FileLock(path), FileLock(path)
    assert first.acquire(1)
    assert not second.acquire(0.05)  # gives up; its helper still waits in flock
    first.release()  # the helper gets the lock now, finds nobody waiting, lets go
    deadline = time.monotonic() + 10
    while second._helper_busy and time.monotonic() < deadline:
        time.sleep(0.001)
    assert not second._helper_busy
    assert first.acquire(0.5)
    first.release()
    assert second.acquire(5)  # and the second can have it when it asks again
    assert not first.acquire(0.05)
    second.release()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_gate_is_let_go_however_the_transaction_ends(tmp_path: Path, end: str) -> None:
    url = f"sqlite:///{tmp_path / 'end.db'}"
    _table(url)
    engine = make_engine(url, busy_timeout_s=0.5)
    conn, tx = begin_write(engine)
    conn.execute(text("INSERT INTO w VALUES ('x')"))
    if end == "commit":
        tx.commit()
    elif end == "rollback":
        tx.rollback()
    conn.close()
    _write(engine, "y")  # would be StoreBusy if the gate were still held
