"""Policy changes with notice, personal data and its retention (ADRs 0050, 0051).

Revision ID: 0015_lifecycle_policy
Revises: 0014_payouts_outbox
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0015_lifecycle_policy"
down_revision = "0014_payouts_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("policy_versions", sa.Column("notified_us", sa.BigInteger(), nullable=True))
    op.add_column("policy_versions", sa.Column("material", sa.Boolean(), nullable=True))
    op.create_table(
        "customer_profiles",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("erased_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id"),
    )
    op.create_table(
        "retention_schedules",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("trigger_us", sa.BigInteger(), nullable=False),
        sa.Column("purge_us", sa.BigInteger(), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id"),
    )
    op.create_table(
        "personal_data_erasures",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("erased_us", sa.BigInteger(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("clause", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", "erased_us"),
    )
    install_append_only_triggers(["personal_data_erasures"])
    install_replace_guards({"personal_data_erasures": [("tenant_id", "customer_id", "erased_us")]})


def downgrade() -> None:
    raise NotImplementedError("erasure history is append-only: there is no way down from 0015")
