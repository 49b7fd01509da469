"""Concurrent reversals of one entry: one wins, every other gets ``AlreadyReversed``.

Before the fix the losers read "not reversed yet", then waited on the account locks and, once
the winner had committed, failed the floor check (``insufficient_funds``): the wrong error.
"""

from __future__ import annotations

import pytest
from storage_helpers import at

from fakes import grant
from races import race
from refundable.bootstrap import App
from refundable.core.errors import AlreadyReversed, Conflict
from refundable.ledger import accounts as chart
from refundable.service import commands as c


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
