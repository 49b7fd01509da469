"""Journal lines carry their entry's effective instant, indexed by account (ADR 0045): a
statement page reads the newest lines of the customer's accounts from the index instead of
joining and sorting the customer's whole history.

The column is filled for existing lines from their entries. ``lines`` is append-only, so its
UPDATE guard is lifted for that one statement, inside this migration's transaction, and put
back exactly as it was. ``ix_lines_account`` (tenant, account) is replaced by
(tenant, account, effective_us), which serves the same lookups.

Revision ID: 0013_line_instants
Revises: 0012_lot_counters
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_line_instants"
down_revision = "0012_lot_counters"
branch_labels = None
depends_on = None

_SQLITE_NO_UPDATE = (
    "CREATE TRIGGER lines_no_update BEFORE UPDATE ON lines BEGIN "
    "SELECT RAISE(ABORT, 'append-only: UPDATE on lines is not allowed; "
    "post a reversing entry instead'); END"
)


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column("lines", sa.Column("effective_us", sa.BigInteger(), nullable=True))
    op.execute(
        "ALTER TABLE lines DISABLE TRIGGER lines_append_only"
        if pg
        else "DROP TRIGGER lines_no_update"
    )
    op.execute(
        "UPDATE lines SET effective_us = (SELECT e.effective_us FROM entries e "
        "WHERE e.tenant_id = lines.tenant_id AND e.entry_id = lines.entry_id)"
    )
    op.execute("ALTER TABLE lines ENABLE TRIGGER lines_append_only" if pg else _SQLITE_NO_UPDATE)
    op.drop_index("ix_lines_account", table_name="lines")
    op.create_index("ix_lines_account_effective", "lines", ["tenant_id", "account", "effective_us"])


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: there is no way down from 0013")
