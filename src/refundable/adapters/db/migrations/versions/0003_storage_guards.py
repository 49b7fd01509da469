"""Storage guards from the hardening probe (issue 8): REPLACE over append-only rows, payment
counters held to their return rows, account identity fixed and balances bounded.

Revision ID: 0003_storage_guards
Revises: 0002_hold_releases
"""

from refundable.adapters.db.append_only import (
    install_account_guards,
    install_payment_counter_guard,
    install_replace_guards,
)

revision = "0003_storage_guards"
down_revision = "0002_hold_releases"
branch_labels = None
depends_on = None

# The unique keys of the append-only tables of 0001 and 0002 (primary key first), written out
# here because a migration must build the same thing forever.
UNIQUE_KEYS: dict[str, list[tuple[str, ...]]] = {
    "entries": [("tenant_id", "entry_id"), ("tenant_id", "reverses")],
    "lines": [("tenant_id", "entry_id", "line_no")],
    "payment_returns": [("tenant_id", "kind", "return_id")],
    "usage_events": [("tenant_id", "event_id")],
    "usage_failures": [("tenant_id", "event_id")],
    "holds": [("tenant_id", "hold_id")],
    "hold_releases": [("tenant_id", "hold_id")],
}
MAX_BALANCE_MINOR = 4 * 10**18  # core.limits.MAX_BALANCE_MINOR when this revision was written


def upgrade() -> None:
    install_replace_guards(UNIQUE_KEYS)
    install_payment_counter_guard()
    install_account_guards(MAX_BALANCE_MINOR)


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: there is no way down from 0003")
