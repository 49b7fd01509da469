"""Property, through the whole service: for any random sequence of lifecycle commands and clock
moves (renewals, trial ends, downgrades, dunning and suspensions run by the scheduled work),
on Conek's and MyProtektor's policies,

* access never extends past what was charged, nor past the policy's grace after a failed
  payment that is still unpaid (the harness, playing the gateway, knows when it failed);
* the ledger stays balanced, and what it says the customer owes (receivable less account
  credit) is what the subscription says (balance due less account credit).

The harness is the payment gateway: after every clock move, if money is owed and it has not
yet said so, it either pays in full or reports a failure, as the drawn sequence decides.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle_property_support import POLICIES, SEQUENCES, START, Sequence_, run_sequence
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.core.time import FixedClock

APP = bootstrap(MEMORY_URL, FixedClock(START))  # one store; a fresh tenant per example


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(POLICIES, st.booleans(), SEQUENCES)
def test_access_is_paid_for_and_the_ledger_follows_the_subscription(
    policy: str, trial: bool, seq: Sequence_
) -> None:
    run_sequence(APP, policy, trial, seq)
