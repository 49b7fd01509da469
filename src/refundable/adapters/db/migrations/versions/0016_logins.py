"""Console and portal logins, and the sign-in links already used (ADR 0061).

Revision ID: 0016_logins
Revises: 0015_lifecycle_policy
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0016_logins"
down_revision = "0015_lifecycle_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logins",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "email"),
    )
    op.create_table(
        "sign_in_links",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("used_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "link_id"),
    )
    install_append_only_triggers(["sign_in_links"])
    install_replace_guards({"sign_in_links": [("tenant_id", "link_id")]})


def downgrade() -> None:
    op.drop_table("sign_in_links")
    op.drop_table("logins")
