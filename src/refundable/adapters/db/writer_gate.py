"""SQLite writers take turns in a queue, not in SQLite's busy handler (issue 11).

SQLite has one write lock per file. A writer that finds it taken waits in SQLite's busy
handler, which sleeps and polls (1, 2, 5, 10, ... 100 ms) and is unfair: under load the
lock passes between whoever polls at the right moment, and the unlucky wait seconds (intake's
p99 was over a second while each transaction held the lock ~1 ms). So every write transaction
first passes a *gate* and only then runs ``BEGIN IMMEDIATE``:

* within a process, a FIFO queue: the writer that ends hands the lock straight to the
  longest waiting thread (no polling, no barging by newcomers);
* across processes (``uvicorn --workers``, the CLI and jobs beside the server), an exclusive
  ``flock`` on a file beside the database (``<db>.writer-lock``): the kernel wakes a waiting
  process the moment the lock is let go. One thread per process at most waits there (the
  head of its queue).

The gate is given up when the transaction ends (COMMIT, ROLLBACK, or the connection closes).
SQLite's own lock and busy handler stay as they were, behind the gate: a writer that does not
use the gate (another program) is still waited for and still excluded. Every wait is bounded:
a writer that cannot pass the gate within its timeout gets ``StoreBusy``, as it would from
SQLite. The sidecar file holds no data; deleting it while nobody writes is harmless.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections import deque

LOCK_SUFFIX = ".writer-lock"


class FifoLock:
    """A lock that waiting threads get in the order they asked for it (direct handoff)."""

    __slots__ = ("_held", "_mutex", "_queue")

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._queue: deque[threading.Lock] = deque()

    def acquire(self, timeout_s: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        if turn.acquire(timeout=max(timeout_s, 0.0)):
            return True  # handed over by release(): the lock stayed held, now ours
        with self._mutex:
            try:
                self._queue.remove(turn)
            except ValueError:  # handed over between the timeout and here: ours after all
                return True
            return False

    def release(self) -> None:
        with self._mutex:
            if self._queue:
                self._queue.popleft().release()  # still held: ownership moves to the waiter
            else:
                self._held = False


class FileLock:
    """An exclusive ``flock`` on one file, with a bounded wait.

    ``flock`` blocks without a timeout, so a contended acquire leaves the blocking call to a
    helper thread and waits for it at most ``timeout_s``; a lock the helper obtains after its
    asker gave up is let go at once. Callers are serialised by the process's ``FifoLock``, so
    one acquire at a time is in progress here."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = -1
        self._pid = -1
        self._cond = threading.Condition(threading.Lock())
        self._waiting = 0
        self._granted = False
        self._helper_busy = False

    def _file(self) -> int:
        if self._pid != os.getpid():  # first use, or a forked child: its own open file
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
            self._helper_busy = self._granted = False
            self._waiting = 0
        return self._fd

    def acquire(self, timeout_s: float) -> bool:
        with self._cond:
            fd = self._file()
            if not self._helper_busy:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    self._helper_busy = True
                    threading.Thread(target=self._wait_for_lock, args=(fd,), daemon=True).start()
            self._waiting += 1
            try:
                got = self._cond.wait_for(lambda: self._granted, max(timeout_s, 0.0))
            finally:
                self._waiting -= 1
            if got:
                self._granted = False
            return got

    def _wait_for_lock(self, fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel wakes us when the holder lets go
        with self._cond:
            self._helper_busy = False
            if self._waiting:
                self._granted = True
                self._cond.notify_all()
            else:  # its asker gave up meanwhile: do not keep other processes out
                fcntl.flock(fd, fcntl.LOCK_UN)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def __del__(self) -> None:
        if self._fd >= 0 and self._pid == os.getpid():
            os.close(self._fd)


class WriterGate:
    """The gate of one database file in this process: its queue, then its file lock."""

    def __init__(self, database: str | None) -> None:
        self.queue = FifoLock()
        self.file = None if database is None else FileLock(database + LOCK_SUFFIX)

    def acquire(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        if not self.queue.acquire(timeout_s):
            return False
        if self.file is None or self.file.acquire(deadline - time.monotonic()):
            return True
        self.queue.release()
        return False

    def release(self) -> None:
        if self.file is not None:
            self.file.release()
        self.queue.release()


_GATES: weakref.WeakValueDictionary[str, WriterGate] = weakref.WeakValueDictionary()
_GATES_MUTEX = threading.Lock()


def gate_for(database: str | None) -> WriterGate:
    """The one gate of a database file in this process (engines on one file share it, so
    their writers queue together); an in-memory database or a URI filename gets a gate of
    its own (one per engine: no file lock)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return WriterGate(None)
    path = os.path.realpath(database)
    with _GATES_MUTEX:
        found = _GATES.get(path)
        if found is None:
            found = _GATES[path] = WriterGate(path)
        return found


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that gives up its gate when its transaction ends (the factory
    of every SQLite connection of ``make_engine``)."""

    gate: WriterGate | None = None
    _holding = False

    def hold_gate(self, timeout_s: float) -> bool:
        if self._holding or self.gate is None:
            return True
        if not self.gate.acquire(timeout_s):
            return False
        self._holding = True
        return True

    def let_go(self) -> None:
        if self._holding and self.gate is not None:
            self._holding = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:  # a COMMIT that failed leaves it to the ROLLBACK
                self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_go()

    def close(self) -> None:
        try:
            super().close()  # an open transaction is rolled back
        finally:
            self.let_go()
