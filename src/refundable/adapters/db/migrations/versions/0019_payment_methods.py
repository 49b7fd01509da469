"""Payment methods on file, for charges collected through the gateway (ADR 0066).

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
    install_append_only_triggers(["payment_methods"])
    install_replace_guards({"payment_methods": [("tenant_id", "customer_id", "seq")]})


def downgrade() -> None:
    raise NotImplementedError("payment-method history is append-only: there is no way down")
