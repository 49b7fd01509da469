"""Balance checkpoints (ADR 0040): ``balance(as_of)`` read through checkpoints equals the plain
sum of the account's lines, for random histories that include postings backdated before
existing checkpoints, on both stores."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from refundable.adapters.db import schema as t
from refundable.adapters.db.checkpoints import write_checkpoints
from refundable.adapters.db.rows import to_us
from refundable.bootstrap import App
from refundable.core.limits import CHECKPOINT_GRACE_US
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REVENUE = chart.tenant_account(Kind.revenue, "ZAR")
# (effective minute, amount in cents): few distinct minutes, so instants tie often
POSTING = st.tuples(st.integers(0, 40), st.integers(-5000, 5000))


def post(app: App, tenant: str, postings: Sequence[tuple[int, int]], recorded: datetime) -> None:
    """Each posting is one entry: receivable debited, revenue credited (natural +amount)."""
    entries, lines = [], []
    for minute, amount in postings:
        eid = f"e{uuid.uuid4().hex[:20]}"
        entries.append({"tenant_id": tenant, "entry_id": eid, "kind": "charge",
                        "effective_us": to_us(T0 + timedelta(minutes=minute)),
                        "recorded_us": to_us(recorded), "memo": "", "ref": eid,
                        "reverses": None, "idem_key": None, "meta": None})  # fmt: skip
        lines.append({"tenant_id": tenant, "entry_id": eid, "line_no": 0,
                      "account": "receivable/C1/ZAR", "commodity": "ZAR", "amount": amount,
                      "lot_id": None})  # fmt: skip
        lines.append({"tenant_id": tenant, "entry_id": eid, "line_no": 1,
                      "account": REVENUE.code, "commodity": "ZAR", "amount": -amount,
                      "lot_id": None})  # fmt: skip
    if entries:
        with app.db.begin() as conn:
            conn.execute(insert(t.entries), entries)
            conn.execute(insert(t.lines), lines)


def open_accounts(app: App, tenant: str) -> str:
    """The two accounts the postings name (the database refuses lines of unknown accounts)."""
    rows = [
        {"tenant_id": tenant, "code": "receivable/C1/ZAR", "kind": "receivable",
         "commodity": "ZAR", "owner": "C1", "balance": 0},
        {"tenant_id": tenant, "code": REVENUE.code, "kind": "revenue", "commodity": "ZAR",
         "owner": None, "balance": 0},
    ]  # fmt: skip
    with app.db.begin() as conn:
        conn.execute(insert(t.accounts), rows)
    return tenant


def expected(postings: Sequence[tuple[int, int]], minute: int) -> Decimal:
    return Decimal(sum(a for m, a in postings if m <= minute)) / 100


def checkpoints(app: App, tenant: str) -> int:
    cp = t.balance_checkpoints.c
    with app.db.begin() as conn:
        found = conn.execute(select(func.count()).where(cp.tenant_id == tenant)).scalar()
    return int(found or 0)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    first=st.lists(POSTING, min_size=4, max_size=25),
    later=st.lists(POSTING, max_size=10),
    every=st.integers(1, 4),
)
def test_checkpointed_balance_equals_the_plain_sum(
    app: App, first: list[tuple[int, int]], later: list[tuple[int, int]], every: int
) -> None:
    tenant = open_accounts(app, f"k{uuid.uuid4().hex[:16]}")
    then = T0 + timedelta(days=2)
    post(app, tenant, first, then)
    run_at = then + timedelta(microseconds=CHECKPOINT_GRACE_US)
    post(app, tenant, [(41, 0)], run_at)  # the newest entry sets the watermark
    assert write_checkpoints(app.db, tenant, REVENUE.code, every=every) >= 1
    assert checkpoints(app, tenant) >= 1
    # postings recorded after the job, many of them backdated before its checkpoints
    post(app, tenant, later, run_at + timedelta(hours=1))
    everything = first + later
    for minute in range(-1, 42, 3):
        at = T0 + timedelta(minutes=minute)
        assert app.queries.balance(tenant, REVENUE, at) == expected(everything, minute)


def test_a_second_run_with_nothing_new_appends_nothing(app: App) -> None:
    tenant = open_accounts(app, f"k{uuid.uuid4().hex[:16]}")
    post(app, tenant, [(1, 100), (2, 200), (3, 300)], T0 + timedelta(days=1))
    post(app, tenant, [(4, 400)], T0 + timedelta(days=2))
    assert write_checkpoints(app.db, tenant, REVENUE.code, every=1) == 3
    assert write_checkpoints(app.db, tenant, REVENUE.code, every=1) == 0
    assert app.queries.balance(tenant, REVENUE, T0 + timedelta(minutes=3)) == Decimal("6.00")
