"""Indexes for reads that must stay flat as history grows: a customer's accounts by owner.

Revision ID: 0005_read_indexes
Revises: 0004_tenants
"""

from alembic import op

revision = "0005_read_indexes"
down_revision = "0004_tenants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_accounts_owner", "accounts", ["tenant_id", "owner"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_accounts_owner", table_name="accounts")
