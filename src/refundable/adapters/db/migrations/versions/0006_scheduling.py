"""Scheduled work: due actions on the product's clock, per-tenant test clocks, the outbox.

Revision ID: 0006_scheduling
Revises: 0005_read_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_scheduling"
down_revision = "0005_read_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_actions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("due_us", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("done_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "action_id"),
    )
    op.create_index("ix_scheduled_actions_due", "scheduled_actions", ["state", "due_us"])
    op.create_table(
        "test_clocks",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("clock_id", sa.String(length=64), nullable=False),
        sa.Column("frozen_us", sa.BigInteger(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("sent_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "message_id"),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_us", "created_us"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("test_clocks")
    op.drop_index("ix_scheduled_actions_due", table_name="scheduled_actions")
    op.drop_table("scheduled_actions")
