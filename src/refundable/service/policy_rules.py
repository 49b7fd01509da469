"""What a policy says about moving money and credits, in the ledger's terms.

The policy document is the single source of a business's rules; the ledger must not carry a
second copy. These functions read the ledger-facing parts of the policy version in force
(which wallet transfers are allowed, how long message credits stay valid, which delivery
failures give credits back) and turn them into the parameters the ledger commands take.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from refundable.core.errors import InputError
from refundable.core.time import require_aware
from refundable.ledger.transfers import TransferRoute
from refundable.policy.compiled import CompiledPolicy


def transfer_routes(policy: CompiledPolicy) -> frozenset[TransferRoute]:
    """The wallet-transfer routes the policy allows (none when it has no wallet section)."""
    wallet = policy.document.wallet
    if wallet is None:
        return frozenset()
    return frozenset(wallet.transfers_allowed)


def credit_valid_until(policy: CompiledPolicy, purchased_at: datetime) -> datetime:
    """When credits bought at ``purchased_at`` expire: the end of the N-th local day after
    the purchase date ("valid 30 days from the date of purchase": day 30 included)."""
    credits = policy.document.credits
    if credits is None or credits.valid_days is None:
        raise InputError(
            f"policy {policy.id} sets no validity for message credits",
            where="credits.valid_days",
            allowed="a policy with credits: {valid_days: N}",
        )
    zone = policy.calendar.zone
    day = require_aware(purchased_at, "purchased_at").astimezone(zone).date()
    last = day + timedelta(days=credits.valid_days)
    return datetime.combine(last, time.max, tzinfo=zone)


def reinstates_on_failure(policy: CompiledPolicy, cause: str) -> bool:
    """Whether credits spent on a failed message come back for this cause of failure."""
    credits = policy.document.credits
    return credits is not None and cause in credits.reinstate_on_failure


HOLD_ON_CHARGEBACK = "RecordChargeback places an account hold"


def holds_on_chargeback(policy: CompiledPolicy) -> str | None:
    """The clause under which a chargeback holds the customer's account, or None.

    A policy says so by pointing a clause at the ledger's hold (``implemented_by`` naming
    "RecordChargeback places an account hold"), the same link ``policy coverage`` reports;
    Kero's dispute clause and Conek's 9.2 do, MyProtektor and Kelbix do not.
    """
    for clause in policy.document.clauses:
        if any(HOLD_ON_CHARGEBACK in text for text in clause.implemented_by):
            return clause.id
    return None
