"""Balance checkpoints: ``balance(account, as_of)`` of a hot account without summing its whole
history (ADR 0040).

A tenant-level account (revenue, clearing) gets a line from most entries, so summing its lines
up to an instant grows with the tenant's history (seconds at a million entries). A checkpoint
row holds the account's balance at ``as_of_us`` counting only entries recorded at or before
``watermark_us``. Then, exactly, even with backdated postings:

    balance(as_of) = checkpoint.balance
                   + lines of entries effective in (checkpoint.as_of, as_of]
                   + lines of entries effective at or before checkpoint.as_of
                     and recorded after checkpoint.watermark

The first range is bounded by the checkpoint spacing (``CHECKPOINT_EVERY_LINES``), the second
by the time since the checkpoint job last ran. Checkpoints are appended by ``write_checkpoints``
(a job), never updated; reads never write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from refundable.adapters.db import schema as t
from refundable.adapters.db.types import exact_sum, exact_total
from refundable.core.limits import CHECKPOINT_EVERY_LINES, CHECKPOINT_GRACE_US


def checkpointed_sum(conn: Connection, tenant: str, account: str, as_of_us: int) -> int | None:
    """The exact raw sum of ``account``'s lines effective at or before ``as_of_us``, from the
    nearest checkpoint; None when the account has no checkpoint at or before that instant."""
    cp = t.balance_checkpoints.c
    found = conn.execute(
        select(cp.as_of_us, cp.watermark_us, cp.balance)
        .where(cp.tenant_id == tenant, cp.account == account, cp.as_of_us <= as_of_us)
        .order_by(cp.as_of_us.desc(), cp.watermark_us.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    start, watermark, balance = int(found[0]), int(found[1]), int(found[2])
    e = t.entries.c
    after = (e.effective_us > start) & (e.effective_us <= as_of_us)
    # "+ 0": the backdated part must walk the recent entries (ix_entries_recorded), not every
    # entry effective before the checkpoint
    late = (e.recorded_us > watermark) & (e.effective_us + 0 <= start)
    return (
        balance + _lines_sum(conn, tenant, account, after) + _lines_sum(conn, tenant, account, late)
    )


def _lines_sum(conn: Connection, tenant: str, account: str, where: Any) -> int:
    ln, e = t.lines.c, t.entries.c
    found = conn.execute(
        select(*exact_sum(ln.amount))
        .select_from(t.entries)
        .join(t.lines, (ln.tenant_id == e.tenant_id) & (ln.entry_id == e.entry_id))
        .where(e.tenant_id == tenant, _unindexed(conn, ln.account) == account, where)
    ).first()
    return 0 if found is None else exact_total(found[0], found[1])


def _unindexed(conn: Connection, column: Any) -> Any:
    """SQLite (no statistics) would walk the hot account's whole history (ix_lines_account)
    rather than the entries in range: "|| ''" keeps it off that index. PostgreSQL's planner
    knows the account is hot, and the same expression would make it misjudge the filter and
    scan every line, so there the column stays plain."""
    return column.concat("") if conn.dialect.name == "sqlite" else column


def write_checkpoints(
    engine: Engine, tenant: str, account: str, every: int = CHECKPOINT_EVERY_LINES
) -> int:
    """``append_checkpoints`` in a transaction of its own (benchmarks, tools)."""
    with engine.begin() as conn:
        return append_checkpoints(conn, tenant, account, every)


def append_checkpoints(
    conn: Connection, tenant: str, account: str, every: int = CHECKPOINT_EVERY_LINES
) -> int:
    """Append a checkpoint every ``every`` lines of ``account`` (in effective order), counting
    entries recorded up to a watermark just behind the newest one; returns how many were
    written. Run per hot account by the scheduled job (``SqlCheckpoints.refresh``); running
    it again only appends fresher rows, and nothing when nothing new was recorded."""
    ln, e, cp = t.lines.c, t.entries.c, t.balance_checkpoints.c
    newest = conn.execute(select(func.max(e.recorded_us)).where(e.tenant_id == tenant)).scalar()
    if newest is None:
        return 0
    watermark = int(newest) - CHECKPOINT_GRACE_US
    done = conn.execute(
        select(func.max(cp.watermark_us)).where(cp.tenant_id == tenant, cp.account == account)
    ).scalar()
    if done is not None and int(done) >= watermark:
        return 0  # nothing recorded since the last run
    stream = conn.execute(
        select(e.effective_us, ln.amount)
        .select_from(t.lines)
        .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
        .where(ln.tenant_id == tenant, ln.account == account, e.recorded_us <= watermark)
        .order_by(e.effective_us)
    )
    marks = _marks(((int(r[0]), int(r[1])) for r in stream), every)
    rows = [
        {"tenant_id": tenant, "account": account, "as_of_us": at,
         "watermark_us": watermark, "balance": total}
        for at, total in marks
    ]  # fmt: skip
    if rows:
        conn.execute(insert(t.balance_checkpoints), rows)
    return len(rows)


def _marks(lines: Any, every: int) -> list[tuple[int, int]]:
    """(instant, running total) after every ``every`` lines, never splitting one instant."""
    out: list[tuple[int, int]] = []
    total, pending = 0, None
    for count, (at, amount) in enumerate(lines, start=1):
        if pending is not None and at != pending:
            out.append((pending, total))
            pending = None
        total += amount
        if count % every == 0:
            pending = at
    if pending is not None:
        out.append((pending, total))
    return out
