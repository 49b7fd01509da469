"""Subscriptions: plans, the current state of each subscription, and its append-only history.

Revision ID: 0010_subscriptions
Revises: 0009_api_access
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0010_subscriptions"
down_revision = "0009_api_access"
branch_labels = None
depends_on = None


def _id(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(length=64), nullable=nullable)


def _us(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plans",
        _id("tenant_id"),
        _id("plan_id"),
        sa.Column("body", sa.Text(), nullable=False),
        _us("created_us"),
        sa.PrimaryKeyConstraint("tenant_id", "plan_id"),
    )
    op.create_table(
        "subscriptions",
        _id("tenant_id"),
        _id("subscription_id"),
        _id("customer_id"),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        _id("plan_id"),
        sa.Column("plan", sa.Text(), nullable=False),
        _us("access_from_us"),
        _us("access_until_us"),
        sa.Column("blocks", sa.Text(), nullable=False),
        _us("anchor_us"),
        sa.Column("period_index", sa.Integer(), nullable=False),
        _us("period_start_us"),
        _us("period_end_us"),
        _us("next_renewal_us", nullable=True),
        _us("charged_through_us"),
        sa.Column("balance_due_minor", sa.BigInteger(), nullable=False),
        sa.Column("account_credit_minor", sa.BigInteger(), nullable=False),
        _us("cancel_at_us", nullable=True),
        sa.Column("pending_plan", sa.Text(), nullable=True),
        _us("first_failed_us", nullable=True),
        _us("ended_us", nullable=True),
        sa.Column("credits_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_kind", sa.String(length=16), nullable=False),
        _us("updated_us"),
        _us("created_us"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "subscription_id"),
    )
    op.create_index("ix_subscriptions_customer", "subscriptions", ["tenant_id", "customer_id"])
    op.create_table(
        "subscription_events",
        _id("tenant_id"),
        _id("subscription_id"),
        sa.Column("seq", sa.Integer(), nullable=False),
        _id("customer_id"),
        sa.Column("event", sa.String(length=32), nullable=False),
        _us("at_us"),
        _us("recorded_us"),
        _id("actor"),
        sa.Column("clauses", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "subscription_id", "seq"),
    )
    install_append_only_triggers(["plans", "subscription_events"])
    install_replace_guards(
        {
            "plans": [("tenant_id", "plan_id")],
            "subscription_events": [("tenant_id", "subscription_id", "seq")],
        }
    )


def downgrade() -> None:
    raise NotImplementedError("subscription history is append-only: there is no way down")
