"""Refund cases: current state per case, append-only case events, entries found by ref.

Revision ID: 0011_cases
Revises: 0010_subscriptions
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0011_cases"
down_revision = "0010_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("received_us", sa.BigInteger(), nullable=False),
        sa.Column("next_due_us", sa.BigInteger(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "case_id"),
        sa.UniqueConstraint("tenant_id", "open_key", name="uq_cases_open_key"),
    )
    op.create_index("ix_cases_customer", "cases", ["tenant_id", "customer_id"])
    op.create_index("ix_cases_due", "cases", ["tenant_id", "state", "next_due_us"])
    op.create_table(
        "case_events",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "case_id", "seq"),
    )
    op.create_index("ix_case_events_at", "case_events", ["tenant_id", "at_us"])
    op.create_index("ix_entries_ref", "entries", ["tenant_id", "ref"])
    install_append_only_triggers(["case_events"])
    install_replace_guards({"case_events": [("tenant_id", "case_id", "seq")]})


def downgrade() -> None:
    raise NotImplementedError("case history is append-only: there is no way down from 0011")
