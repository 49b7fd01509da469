"""The lifecycle property of ``tests/service/test_lifecycle_ledger_properties.py`` (access never
past what was charged or the grace; the ledger balanced and following the subscription), on the
SQLite file and on PostgreSQL, with fewer examples than on the memory store: the stores' SQL
(row versions, derived balances, the schedule table, the outbox) is what differs, and a few
dozen random lives exercise it without slowing the suite much.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle_property_support import POLICIES, SEQUENCES, Sequence_, run_sequence
from refundable.bootstrap import App

STORE_EXAMPLES = 30


@settings(
    max_examples=STORE_EXAMPLES,
    deadline=None,
    # ``app`` only picks one of two session-scoped stores; each example opens its own tenant
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(POLICIES, st.booleans(), SEQUENCES)
def test_access_is_paid_for_and_the_ledger_follows_the_subscription_on_stores(
    app: App, policy: str, trial: bool, seq: Sequence_
) -> None:
    run_sequence(app, policy, trial, seq)
