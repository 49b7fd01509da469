"""Balance checkpoints for hot accounts, and entries by recording order (ADR 0040).

Revision ID: 0008_balance_checkpoints
Revises: 0007_derived_balances
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0008_balance_checkpoints"
down_revision = "0007_derived_balances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "balance_checkpoints",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("as_of_us", sa.BigInteger(), nullable=False),
        sa.Column("watermark_us", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "account", "as_of_us", "watermark_us"),
    )
    op.create_index("ix_entries_recorded", "entries", ["tenant_id", "recorded_us"])
    install_append_only_triggers(["balance_checkpoints"])
    install_replace_guards(
        {"balance_checkpoints": [("tenant_id", "account", "as_of_us", "watermark_us")]}
    )


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: there is no way down from 0008")
