"""Fresh request ids and command keys: unique in a process, across threads, and in a forked
child (which draws its own prefix); the shape the request-id header accepts."""

from __future__ import annotations

import os
import re
import threading

from refundable.entrypoints.api.fresh import fresh_id


def test_ids_are_unique_across_threads_and_shaped_like_a_uuid_hex() -> None:
    found: list[str] = []

    def draw() -> None:
        found.extend(fresh_id() for _ in range(5_000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == len(found) == 20_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in found)


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    parent_next = fresh_id()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, fresh_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert child[:16] != parent_next[:16]  # its own prefix
    assert child != fresh_id()
