"""Hold releases: how and when a chargeback's account hold was resolved.

A release is a new row (append-only, like the hold itself), never an update of ``holds``.

Revision ID: 0002_hold_releases
Revises: 0001_ledger
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import install_append_only_triggers

revision = "0002_hold_releases"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hold_releases",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("hold_id", sa.String(length=64), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("released_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "hold_id"),
    )
    install_append_only_triggers(["hold_releases"])


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: there is no way down from 0002")
