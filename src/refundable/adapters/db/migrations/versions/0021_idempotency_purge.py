"""An index on when each HTTP idempotency record was made, so the periodic purge of records
past their 24 h retention finds them without scanning the table (ADR 0068).

Revision ID: 0021_idempotency_purge
Revises: 0019_payment_methods
"""

from alembic import op

revision = "0021_idempotency_purge"
down_revision = "0019_payment_methods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_http_idempotency_created", "http_idempotency", ["created_us"])


def downgrade() -> None:
    op.drop_index("ix_http_idempotency_created", table_name="http_idempotency")
