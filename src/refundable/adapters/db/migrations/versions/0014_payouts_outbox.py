"""Payouts, the outbox worker's bookkeeping, delivery attempts and webhook endpoints
(ADR 0056, 0057).

Revision ID: 0014_payouts_outbox
Revises: 0013_line_instants
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0014_payouts_outbox"
down_revision = "0013_line_instants"
branch_labels = None
depends_on = None

_ID = sa.String(length=64)
_LONG_ID = sa.String(length=200)
_US = sa.BigInteger()


def _outbox_columns() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=False,
                                   server_default="pending"))  # fmt: skip
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_us", _US, nullable=True))
        batch.add_column(sa.Column("lease_us", _US, nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.execute("UPDATE outbox SET state = 'sent' WHERE sent_us IS NOT NULL")
    op.create_index("ix_outbox_due", "outbox", ["state", "next_us"])


def _payouts() -> None:
    op.create_table(
        "payouts",
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("payout_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("payment_id", _ID, nullable=False),
        sa.Column("decision_id", _ID, nullable=False),
        sa.Column("requested_currency", sa.String(8), nullable=False),
        sa.Column("requested_minor", _US, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("amount_minor", _US, nullable=False),
        sa.Column("fx_rate", sa.String(48), nullable=True),
        sa.Column("fx_source", sa.Text(), nullable=True),
        sa.Column("fx_as_of_us", _US, nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("requested_us", _US, nullable=False),
        sa.Column("expected_from_us", _US, nullable=False),
        sa.Column("expected_by_us", _US, nullable=False),
        sa.Column("gateway_refund_id", _LONG_ID, nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("destination", _LONG_ID, nullable=True),
        sa.Column("sent_us", _US, nullable=True),
        sa.Column("settled_us", _US, nullable=True),
        sa.Column("entry_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "payout_id"),
        sa.UniqueConstraint("tenant_id", "case_id", name="uq_payouts_case"),
    )
    op.create_table(
        "payout_events",
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("payout_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("at_us", _US, nullable=False),
        sa.Column("gateway_refund_id", _LONG_ID, nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "payout_id", "seq"),
    )


def upgrade() -> None:
    _outbox_columns()
    op.create_table(
        "outbox_attempts",
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", _LONG_ID, nullable=True),
        sa.Column("at_us", _US, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "message_id", "attempt"),
    )
    _payouts()
    op.create_table(
        "webhook_endpoints",
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("endpoint_id", _ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column("created_us", _US, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "endpoint_id"),
    )
    install_append_only_triggers(["outbox_attempts", "payout_events"])
    install_replace_guards(
        {
            "outbox_attempts": [("tenant_id", "message_id", "attempt")],
            "payout_events": [("tenant_id", "payout_id", "seq")],
        }
    )


def downgrade() -> None:
    raise NotImplementedError("payout history is append-only: there is no way down from here")
