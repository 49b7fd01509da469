"""Each case's stage clocks as columns beside ``next_due_us`` (ADR 0080), so the operators'
count of open cases at risk and past a deadline, and the console's monthly deadline figures,
are read from the columns instead of decoding every case's JSON body:

* ``next_warn_us``: the earliest warning time of a running stage clock (NULL when none runs);
* ``breach_marked``: a running stage clock was marked breached;
* ``last_due_us``: the latest deadline of any stage clock, running or ended (NULL when none).

The backfill computes them from each stored body, as the repository does on every write.

Revision ID: 0023_case_clocks
Revises: 0022_period_charged
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0023_case_clocks"
down_revision = "0022_period_charged"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from refundable.adapters.db.repository_cases import clock_columns
    from refundable.cases.codec import case_from_dict

    # plain ADD COLUMNs (SQLite keeps the table and its triggers; no batch copy)
    op.add_column("cases", sa.Column("next_warn_us", sa.BigInteger(), nullable=True))
    op.add_column(
        "cases",
        sa.Column("breach_marked", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("cases", sa.Column("last_due_us", sa.BigInteger(), nullable=True))
    cases = sa.table(
        "cases",
        sa.column("tenant_id", sa.String),
        sa.column("case_id", sa.String),
        sa.column("body", sa.Text),
        sa.column("next_warn_us", sa.BigInteger),
        sa.column("breach_marked", sa.Boolean),
        sa.column("last_due_us", sa.BigInteger),
    )
    conn = op.get_bind()
    found = conn.execute(sa.select(cases.c.tenant_id, cases.c.case_id, cases.c.body)).all()
    for tenant_id, case_id, body in found:
        conn.execute(
            sa.update(cases)
            .where(cases.c.tenant_id == tenant_id, cases.c.case_id == case_id)
            .values(clock_columns(case_from_dict(json.loads(body))))
        )


def downgrade() -> None:
    op.drop_column("cases", "last_due_us")
    op.drop_column("cases", "breach_marked")
    op.drop_column("cases", "next_warn_us")
