"""Ledger tables and the append-only triggers.

Revision ID: 0001_ledger
Revises:
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import install_append_only_triggers

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None

# The tables this revision makes append-only (later revisions add their own).
APPEND_ONLY = (
    "entries",
    "lines",
    "payment_returns",
    "usage_events",
    "usage_allocations",
    "usage_failures",
    "holds",
)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("commodity", sa.String(length=8), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "code"),
    )
    op.create_table(
        "entries",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("effective_us", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("reverses", sa.String(length=64), nullable=True),
        sa.Column("idem_key", sa.String(length=200), nullable=True),
        sa.Column("meta", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "entry_id"),
        sa.UniqueConstraint("tenant_id", "reverses", name="uq_entries_reverses"),
    )
    op.create_index("ix_entries_effective", "entries", ["tenant_id", "effective_us"], unique=False)
    op.create_table(
        "holds",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("hold_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=True),
        sa.Column("dispute_id", sa.String(length=64), nullable=True),
        sa.Column("placed_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "hold_id"),
    )
    op.create_index("ix_holds_customer", "holds", ["tenant_id", "customer_id"], unique=False)
    op.create_table(
        "idempotency",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key"),
    )
    op.create_table(
        "lines",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("commodity", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "entry_id", "line_no"),
    )
    op.create_index("ix_lines_account", "lines", ["tenant_id", "account"], unique=False)
    op.create_index("ix_lines_lot", "lines", ["tenant_id", "lot_id"], unique=False)
    op.create_table(
        "lots",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("value_left_minor", sa.BigInteger(), nullable=False),
        sa.Column("valid_until_us", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("acquired_us", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "lot_id"),
    )
    op.create_index("ix_lots_customer", "lots", ["tenant_id", "customer_id"], unique=False)
    op.create_table(
        "parties",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("reseller_id", sa.String(length=64), nullable=True),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("approved_nonprofit", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id"),
    )
    op.create_table(
        "payment_returns",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("return_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "return_id"),
    )
    op.create_index(
        "ix_returns_payment", "payment_returns", ["tenant_id", "payment_id"], unique=False
    )
    op.create_table(
        "payments",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("source_account", sa.String(length=200), nullable=False),
        sa.Column("funded_account", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("paid_us", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("charged_back_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "payment_id"),
    )
    op.create_table(
        "usage_allocations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("lot_id", sa.String(length=200), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_alloc_event", "usage_allocations", ["tenant_id", "event_id"], unique=False)
    op.create_table(
        "usage_events",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("occurred_us", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
    )
    op.create_table(
        "usage_failures",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("reinstated", sa.Boolean(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("failed_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
    )
    install_append_only_triggers(APPEND_ONLY)


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: there is no way down from 0001")
