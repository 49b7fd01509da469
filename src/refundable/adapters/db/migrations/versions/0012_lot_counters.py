"""Lot counters derived from the journal (issue 8, derived counters are writable): an AFTER
INSERT trigger on ``lines`` moves ``lots.remaining``, ``value_left_minor`` and ``status``;
guards on ``lots`` refuse any other change, and lots are never deleted (ADR 0042).

Revision ID: 0012_lot_counters
Revises: 0011_cases
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import install_replace_guards
from refundable.adapters.db.lot_guards import drop_lot_counters, install_lot_counters

revision = "0012_lot_counters"
down_revision = "0011_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lots", sa.Column("moved_entry_id", sa.String(length=64), nullable=True))
    op.add_column("lots", sa.Column("moved_line_no", sa.Integer(), nullable=True))
    install_lot_counters()
    # SQLite only: REPLACE over a lot would delete it without a DELETE trigger firing.
    install_replace_guards({"lots": [("tenant_id", "lot_id")]})


def downgrade() -> None:
    """Back to 0011, whose code writes the lot counters itself."""
    drop_lot_counters()
    with op.batch_alter_table("lots") as batch:
        batch.drop_column("moved_line_no")
        batch.drop_column("moved_entry_id")
