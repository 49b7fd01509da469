"""Which wallet transfers are allowed (Kero's rule), as a pure check.

Wallet funds move only along links the business has recorded: from a reseller to one of its
clients, between affiliates of one group, or, when an account is terminated, to a non-profit
the business has approved. Every other transfer is refused with the reason and what would be
allowed, so the caller can tell the customer exactly why.
"""

from __future__ import annotations

from dataclasses import dataclass

from refundable.core.errors import InputError, TransferNotAllowed
from refundable.policy.document import TransferKind


@dataclass(frozen=True, slots=True)
class Party:
    """A customer of a tenant and its links: reseller (parent) and group (affiliates)."""

    tenant_id: str
    customer_id: str
    reseller_id: str | None = None
    group_id: str | None = None
    approved_nonprofit: bool = False


TransferRoute = TransferKind
"""The routes a policy can allow: the policy language's own ``wallet.transfers_allowed``
vocabulary, one definition for the policy, the ledger and the receipts."""


def transfer_route(
    source: Party, target: Party, on_termination: bool, allowed: frozenset[TransferRoute]
) -> TransferRoute:
    """The route that moves funds from ``source`` to ``target``, if the policy in force allows
    it (``allowed``); otherwise a refusal that says why."""
    route = _route(source, target, on_termination)
    if route not in allowed:
        names = ", ".join(sorted(r.value for r in allowed)) or "none"
        raise TransferNotAllowed(
            f"the policy in force does not allow {route.value} transfers",
            where=f"transfer {source.customer_id} -> {target.customer_id}",
            allowed=f"routes the policy allows: {names}",
        )
    return route


def _route(source: Party, target: Party, on_termination: bool) -> TransferRoute:
    where = f"transfer {source.customer_id} -> {target.customer_id}"
    if source.customer_id == target.customer_id:
        raise InputError("a transfer needs two different customers", where=where)
    if target.reseller_id == source.customer_id:
        return TransferRoute.reseller_to_client
    if source.group_id is not None and source.group_id == target.group_id:
        return TransferRoute.between_affiliates
    if on_termination and target.approved_nonprofit:
        return TransferRoute.approved_nonprofit_on_termination
    raise TransferNotAllowed(
        f"{target.customer_id} is not a client of {source.customer_id}, not an affiliate in "
        f"its group, and not an approved non-profit receiving on termination",
        where=where,
        allowed="reseller -> own client; affiliates of one group; approved non-profit on "
        "termination",
    )
