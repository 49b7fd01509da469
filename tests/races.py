"""Concurrency tests' one helper: run the same job in many threads released at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def race(n: int, job: Callable[[int], R]) -> list[R | BaseException]:
    """Run ``job(i)`` in ``n`` threads released together by one barrier; results in order,
    an exception in place of the result of a job that raised."""
    barrier = threading.Barrier(n)
    results: list[R | BaseException] = [RuntimeError("not run")] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = job(i)
        except BaseException as err:  # collected and asserted on by the caller
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def attempts(n: int, step: Callable[[int], object]) -> list[BaseException]:
    """Run ``step(i)`` for i < ``n`` one after the other, going on past failures; the errors,
    in order (a job for ``race`` that makes many writes)."""
    errors: list[BaseException] = []
    for i in range(n):
        try:
            step(i)
        except BaseException as err:  # collected and asserted on by the caller
            errors.append(err)
    return errors
