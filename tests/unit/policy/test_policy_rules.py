"""The ledger-facing parts of the shipped policies: transfer routes, credit validity and
which delivery failures give credits back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from refundable.config import shipped_policies_dir
from refundable.core.errors import InputError
from refundable.ledger.transfers import TransferRoute
from refundable.policy.loader import load_policy_file
from refundable.service.policy_rules import (
    credit_valid_until,
    reinstates_on_failure,
    transfer_routes,
)

SAST = timezone(timedelta(hours=2))


def policy(name: str):  # type: ignore[no-untyped-def]
    return load_policy_file(shipped_policies_dir() / f"{name}.yaml")


def test_kero_allows_its_three_transfer_routes_and_conek_none() -> None:
    assert transfer_routes(policy("kero")) == frozenset(TransferRoute)
    assert transfer_routes(policy("conek")) == frozenset()


def test_conek_credits_last_to_the_end_of_the_30th_local_day_after_purchase() -> None:
    bought = datetime(2026, 3, 1, 23, 30, tzinfo=SAST)
    until = credit_valid_until(policy("conek"), bought)
    assert until.isoformat() == "2026-03-31T23:59:59.999999+02:00"
    # bought at 22:30 UTC on 28 Feb is already 1 March in Johannesburg
    assert credit_valid_until(policy("conek"), datetime(2026, 2, 28, 22, 30, tzinfo=UTC)) == until


def test_a_policy_without_credit_validity_says_so() -> None:
    with pytest.raises(InputError, match="policy kero sets no validity for message credits"):
        credit_valid_until(policy("kero"), datetime(2026, 3, 1, tzinfo=SAST))


def test_conek_gives_credits_back_only_for_platform_failures() -> None:
    conek = policy("conek")
    assert reinstates_on_failure(conek, "platform")
    assert not reinstates_on_failure(conek, "invalid_recipient")
    assert not reinstates_on_failure(policy("kero"), "platform")
