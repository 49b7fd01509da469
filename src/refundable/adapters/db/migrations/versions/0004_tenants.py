"""Tenants, their published policy versions, and the decisions money movements follow.

Policy versions and decisions are append-only: a published version never changes (a change
is a new version), and a decision is kept as it was made.

Revision ID: 0004_tenants
Revises: 0003_storage_guards
"""

import sqlalchemy as sa
from alembic import op

from refundable.adapters.db.append_only import (
    install_append_only_triggers,
    install_replace_guards,
)

revision = "0004_tenants"
down_revision = "0003_storage_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("effective_on", sa.String(length=10), nullable=False),
        sa.Column("starts_us", sa.BigInteger(), nullable=False),
        sa.Column("notified_on", sa.String(length=10), nullable=True),
        sa.Column("published_us", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "version"),
        sa.UniqueConstraint("tenant_id", "starts_us", name="uq_policy_versions_start"),
    )
    op.create_table(
        "decisions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("remedy", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("clauses", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("fees_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("decided_us", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "decision_id"),
    )
    install_append_only_triggers(["policy_versions", "decisions"])
    install_replace_guards(
        {
            "policy_versions": [("tenant_id", "version"), ("tenant_id", "starts_us")],
            "decisions": [("tenant_id", "decision_id")],
        }
    )


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: there is no way down from 0004")
