"""Payment methods on file, for charges collected through the gateway, and announced
discontinuations of a plan or the service (ADR 0066).

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
    install_append_only_triggers(["payment_methods", "service_discontinuations"])
    install_replace_guards(
        {
            "payment_methods": [("tenant_id", "customer_id", "seq")],
            "service_discontinuations": [("tenant_id", "discontinuation_id")],
        }
    )


def downgrade() -> None:
    raise NotImplementedError("payment-method history is append-only: there is no way down")
