"""Payment methods on file, for charges collected through the gateway, and announced
discontinuations of a plan or the service, promotional offers and the offers on each
subscription (ADR 0066).

Revision ID: 0019_payment_methods
Revises: 0016_logins
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0019_payment_methods"
down_revision = "0016_logins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("gateway_ref", sa.String(length=200), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", "seq"),
    )
    op.create_table(
        "service_discontinuations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("discontinuation_id", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.Column("announced_us", sa.BigInteger(), nullable=False),
        sa.Column("effective_us", sa.BigInteger(), nullable=False),
        sa.Column("clause", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "discontinuation_id"),
    )
    op.create_table(
        "promotions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "code"),
    )
    # a plain ADD COLUMN (SQLite keeps the table and its triggers; no batch copy)
    op.add_column(
        "subscriptions", sa.Column("promotions", sa.Text(), nullable=False, server_default="[]")
    )
    install_append_only_triggers(["payment_methods", "service_discontinuations", "promotions"])
    install_replace_guards(
        {
            "payment_methods": [("tenant_id", "customer_id", "seq")],
            "service_discontinuations": [("tenant_id", "discontinuation_id")],
            "promotions": [("tenant_id", "code")],
        }
    )


def downgrade() -> None:
    raise NotImplementedError("payment-method history is append-only: there is no way down")
