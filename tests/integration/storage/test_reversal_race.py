"""Concurrent reversals of one entry: one wins, every other gets ``AlreadyReversed``.

Before the fix the losers read "not reversed yet", then waited on the account locks and, once
the winner had committed, failed the floor check (``insufficient_funds``): the wrong error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from storage_helpers import at

from fakes import grant
from refundable.bootstrap import App
from refundable.core.errors import AlreadyReversed, Conflict
from refundable.ledger import accounts as chart
from refundable.service import commands as c

R = TypeVar("R")


def race(n: int, job: Callable[[int], R]) -> list[R | BaseException]:
    """Run ``job(i)`` in ``n`` threads released together by one barrier."""
    barrier = threading.Barrier(n)
    results: list[R | BaseException] = [RuntimeError("not run")] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = job(i)
        except BaseException as err:  # collected and asserted on below
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


@pytest.mark.parametrize("n", [8, 32])
def test_concurrent_reversals_of_one_entry_lose_with_already_reversed(
    app: App, tenant: str, n: int
) -> None:
    granted = grant(app, tenant, "g1", "grant-1", "C1", "40.00")
    [entry_id] = granted.entry_ids
    results = race(
        n, lambda i: app.ledger.handle(c.ReverseEntry(tenant, f"rev-{i}", entry_id, at(2)))
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == n - 1, errors[:3]
    assert all(isinstance(e, AlreadyReversed) and isinstance(e, Conflict) for e in errors), {
        type(e).__name__ for e in errors
    }
    assert app.queries.balance(tenant, chart.account_credit("C1", "ZAR")) == 0
    assert len(app.queries.journal(tenant)) == 2
