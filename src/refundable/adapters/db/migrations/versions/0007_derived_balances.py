"""Account balances derived from the journal (issue 8, derived counters are writable): an
AFTER INSERT trigger on ``lines`` moves ``accounts.balance``; the application no longer writes it.

Revision ID: 0007_derived_balances
Revises: 0006_scheduling
"""

from alembic import op

from refundable.adapters.db.append_only import install_balances_from_lines

revision = "0007_derived_balances"
down_revision = "0006_scheduling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_balances_from_lines()


def downgrade() -> None:
    """Back to 0006, whose code writes balances itself."""
    op.execute("DROP TRIGGER lines_move_balances" + (" ON lines" if _pg() else ""))
    if _pg():
        op.execute("DROP FUNCTION refundable_balances_from_lines()")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"
