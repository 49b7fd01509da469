"""Group commit: one writer thread per process runs the queued commands a batch at a time.

On SQLite every write transaction holds the file's one write lock from ``BEGIN IMMEDIATE`` to
its COMMIT, and the COMMIT waits for the disk (``synchronous=FULL``). With one transaction per
command, the lock passes between threads and processes once per command and each command pays
a BEGIN, a COMMIT and an fsync of its own (ADR 0070). Here the commands that arrive while a
batch runs wait in a queue; the writer thread then takes all of them (up to ``max_batch``) and
runs them with :meth:`MessageBus.handle_batch`: one transaction, each command in its own step
(a savepoint), one COMMIT. Each caller gets exactly what ``bus.handle`` would have given it:
its receipt, or its error with nothing of its own kept (ADR 0072).

A caller's result is given only once the batch has committed, so a receipt always stands for
durable work. Before the write transaction, the bus rehearses the batch on a read snapshot
(``MessageBus.rehearse``), so the lock is held for the statements, not for the handlers.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING

from refundable.core.errors import InvariantBroken

if TYPE_CHECKING:
    from refundable.service.bus import MessageBus
    from refundable.service.commands import Command
    from refundable.service.common import Receipt

THREAD_NAME = "group-commit"
MAX_BATCH = 32


class GroupCommit:
    def __init__(self, bus: MessageBus, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise InvariantBroken(f"a batch holds at least one command, not {max_batch}")
        self.bus = bus
        self.max_batch = max_batch
        self._queue: deque[tuple[Command, Future[Receipt]]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # batches run and commands in them (for tests and metrics)
        self.commands = 0

    def submit(self, command: Command) -> Future[Receipt]:
        """Queue a command; the future gets its receipt, or the error it raised."""
        future: Future[Receipt] = Future()
        with self._ready:
            if self._closed:
                raise InvariantBroken("the group commit was closed: no more commands")
            self._queue.append((command, future))
            if self._thread is None or not self._thread.is_alive():  # first use, or it died
                self._start()
            self._ready.notify()
        return future

    def _start(self) -> None:  # with self._ready held
        self._thread = threading.Thread(target=self._work, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def handle(self, command: Command) -> Receipt:
        """``bus.handle`` through the queue (for callers that may block)."""
        return self.submit(command).result()

    def close(self, timeout_s: float = 10.0) -> None:
        """Run what is queued, then stop the writer thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _work(self) -> None:
        try:
            self._loop()
        finally:  # stopping, or dying of a BaseException: what queued meanwhile still runs
            with self._ready:
                if self._thread is threading.current_thread():
                    self._thread = None
                    if self._queue:  # each death takes its batch with it: this ends
                        self._start()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return  # closed, and nothing left to run
                taken = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(taken)]
            self._run([(cmd, fut) for cmd, fut in batch if fut.set_running_or_notify_cancel()])

    def _run(self, batch: list[tuple[Command, Future[Receipt]]]) -> None:
        if not batch:
            return
        commands = [cmd for cmd, _ in batch]
        try:
            results = self.bus.handle_batch(commands)
        except BaseException as err:  # never leave a caller waiting
            for _, future in batch:
                future.set_exception(err)
            if not isinstance(err, Exception):
                raise
            return
        self.batches += 1
        self.commands += len(commands)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
