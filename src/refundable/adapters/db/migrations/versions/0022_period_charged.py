"""What each subscription's current period costs and was charged, after promotional
discounts, so that a cooling-off credit or a discontinuation refund never gives back more than
was paid (ADR 0069).

Rows from before promotions existed were charged the plan's cycle price (a trial nothing):
that is what the backfill writes. The columns stay nullable so that a row written by a
process still on the previous revision reads the same way (the repository treats NULL as
the plan's cycle price).

Revision ID: 0022_period_charged
Revises: 0021_idempotency_purge
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0022_period_charged"
down_revision = "0021_idempotency_purge"
branch_labels = None
depends_on = None


def _minor(plan_body: str, currency: str) -> int:
    """The plan's cycle price (its price and add-ons) in minor units, as Money.to_minor does."""
    from refundable.core.money import Money

    plan = json.loads(plan_body)
    total = Money.of(plan["price"]["amount"], currency)
    for add_on in plan.get("add_ons", ()):
        total = total + Money.of(add_on["price"]["amount"], currency)
    return total.to_minor()


def upgrade() -> None:
    # plain ADD COLUMNs (SQLite keeps the table and its triggers; no batch copy)
    op.add_column("subscriptions", sa.Column("period_price_minor", sa.BigInteger(), nullable=True))
    op.add_column(
        "subscriptions", sa.Column("period_charged_minor", sa.BigInteger(), nullable=True)
    )
    conn = op.get_bind()
    subs = sa.table(
        "subscriptions",
        sa.column("tenant_id", sa.String),
        sa.column("subscription_id", sa.String),
        sa.column("state", sa.String),
        sa.column("currency", sa.String),
        sa.column("plan", sa.Text),
        sa.column("period_price_minor", sa.BigInteger),
        sa.column("period_charged_minor", sa.BigInteger),
    )
    found = conn.execute(
        sa.select(subs.c.tenant_id, subs.c.subscription_id, subs.c.state, subs.c.currency,
                  subs.c.plan)
    ).all()  # fmt: skip
    for tenant_id, subscription_id, state, currency, plan in found:
        minor = 0 if state == "trialing" else _minor(plan, currency)
        conn.execute(
            sa.update(subs)
            .where(subs.c.tenant_id == tenant_id, subs.c.subscription_id == subscription_id)
            .values(period_price_minor=minor, period_charged_minor=minor)
        )


def downgrade() -> None:
    op.drop_column("subscriptions", "period_charged_minor")
    op.drop_column("subscriptions", "period_price_minor")
