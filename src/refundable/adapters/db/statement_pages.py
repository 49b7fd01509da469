"""A customer's statement a page at a time, oldest first, by keyset (ADR 0083).

The statement's order is the journal's (effective instant, a charge before the payment at the
same instant, recorded instant, entry id) and then the line's number in its entry; a line's
id is ``<entry id>.<line no>``, unique and stable, and is the cursor. A page reads the
customer's lines past the cursor (index on tenant, account, effective instant) and the refunds
of their payments to the payment's source past it, ``limit + 1`` of each, merged in order.
Each account's running balance starts from the sum of that account's lines up to the cursor:
those at earlier instants from the lines' own index, those at the cursor's instant (few)
with the entries' order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, literal, select, tuple_

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.types import exact_sum, exact_total
from refundable.ledger.accounts import AccountKey, Kind, to_units
from refundable.service.queries import StatementLine, line_id, parse_line_id
from refundable.service.resources import Page, page_of

Key = tuple[int, int, int, str, int]


def statement_page(
    conn: Connection, tenant: str, customer: str, after: str | None, limit: int
) -> Page[StatementLine] | None:
    cursor = None if after is None else _cursor(conn, tenant, after)
    if after is not None and cursor is None:
        return None
    a = t.accounts.c
    own = [k.name for k in Kind if k.spec.per_customer]
    mine = list(
        conn.execute(
            select(a.code).where(a.tenant_id == tenant, a.owner == customer, a.kind.in_(own))
        ).scalars()
    )
    found = [(_key(r), r, None) for r in _lines(conn, tenant, mine, cursor, limit)] if mine else []
    found += [(_key(r), r, r.source_account) for r in _refunds(conn, tenant, customer, mine,
                                                                cursor, limit)]  # fmt: skip
    found.sort(key=lambda x: x[0])
    chosen = found[: limit + 1]
    shown = {r.account for _, r, source in chosen if source is None}
    running = _opening(conn, tenant, sorted(shown), cursor) if shown else {}
    return page_of([_line(r, source, running) for _, r, source in chosen], limit)


def _cursor(conn: Connection, tenant: str, after: str) -> Key | None:
    parts = parse_line_id(after)
    if parts is None:
        return None
    e = t.entries.c
    found = conn.execute(
        select(e.effective_us, e.kind, e.recorded_us).where(
            e.tenant_id == tenant, e.entry_id == parts[0]
        )
    ).first()
    if found is None:
        return None
    first = 0 if found.kind == "charge" else 1
    return (int(found.effective_us), first, int(found.recorded_us), parts[0], parts[1])


def _charges_first() -> Any:
    return case((t.entries.c.kind == "charge", 0), else_=1)


def _past(order: tuple[Any, ...], cursor: Key | None, instant: Any) -> list[Any]:
    """Rows whose key is greater than the cursor's, the instant bounding the index range."""
    if cursor is None:
        return []
    return [instant >= cursor[0], tuple_(*order) > tuple_(*(literal(v) for v in cursor))]


def _lines(
    conn: Connection, tenant: str, mine: list[str], cursor: Key | None, limit: int
) -> list[Any]:
    ln, e = t.lines.c, t.entries.c
    order = (ln.effective_us, _charges_first(), e.recorded_us, e.entry_id, ln.line_no)
    stmt = (
        select(e.entry_id, e.effective_us, e.recorded_us, e.kind, e.memo, ln.account, ln.amount,
               ln.line_no)
        .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
        .where(ln.tenant_id == tenant, ln.account.in_(mine),
               *_past(order, cursor, ln.effective_us))
    )  # fmt: skip
    return list(conn.execute(stmt.order_by(*order).limit(limit + 1)).all())


def _refunds(
    conn: Connection,
    tenant: str,
    customer: str,
    mine: list[str],
    cursor: Key | None,
    limit: int,
) -> list[Any]:
    """Refunds of the customer's payments to the payment's source: money they get back that
    moves no account of theirs (an entry that does move one is on the statement already)."""
    r, p, e, ln = t.payment_returns.c, t.payments.c, t.entries.c, t.lines.c
    source_line = (
        select(func.min(ln.line_no))
        .where(ln.tenant_id == e.tenant_id, ln.entry_id == e.entry_id,
               ln.account == p.source_account)
        .scalar_subquery()
    )  # fmt: skip
    line_no = func.coalesce(source_line, 0)
    order = (e.effective_us, _charges_first(), e.recorded_us, e.entry_id, line_no)
    theirs = exists().where(
        and_(ln.tenant_id == e.tenant_id, ln.entry_id == e.entry_id, ln.account.in_(mine))
    )
    stmt = (
        select(e.entry_id, e.effective_us, e.recorded_us, e.kind, e.memo,
               p.source_account, r.amount_minor, r.currency, line_no.label("line_no"))
        .join(t.payments, (p.tenant_id == r.tenant_id) & (p.payment_id == r.payment_id))
        .join(t.entries, (e.tenant_id == r.tenant_id) & (e.entry_id == r.entry_id))
        .where(r.tenant_id == tenant, p.customer_id == customer, r.kind == "refund",
               *_past(order, cursor, e.effective_us))
    )  # fmt: skip
    if mine:
        stmt = stmt.where(~theirs)
    return list(conn.execute(stmt.order_by(*order).limit(limit + 1)).all())


def _opening(
    conn: Connection, tenant: str, accounts: list[str], cursor: Key | None
) -> dict[str, int]:
    """Each account's balance (in minor units, as stored) after the cursor's line."""
    if cursor is None:
        return dict.fromkeys(accounts, 0)
    ln, e = t.lines.c, t.entries.c
    before = (
        select(ln.account, *exact_sum(ln.amount))
        .where(ln.tenant_id == tenant, ln.account.in_(accounts), ln.effective_us < cursor[0])
        .group_by(ln.account)
    )
    order = (_charges_first(), e.recorded_us, e.entry_id, ln.line_no)
    at = (
        select(ln.account, *exact_sum(ln.amount))
        .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
        .where(ln.tenant_id == tenant, ln.account.in_(accounts), ln.effective_us == cursor[0],
               tuple_(*order) <= tuple_(*(literal(v) for v in cursor[1:])))
        .group_by(ln.account)
    )  # fmt: skip
    out = dict.fromkeys(accounts, 0)
    for stmt in (before, at):
        for r in conn.execute(stmt):
            out[r[0]] += exact_total(r[1], r[2])
    return out


def _key(r: Any) -> Key:
    first = 0 if r.kind == "charge" else 1
    return (int(r.effective_us), first, int(r.recorded_us), r.entry_id, int(r.line_no))


def _line(r: Any, source: str | None, running: dict[str, int]) -> StatementLine:
    at = rows.from_us(r.effective_us)
    lid = line_id(r.entry_id, int(r.line_no))
    if source is not None:
        amount = to_units(int(r.amount_minor), r.currency)
        return StatementLine(r.entry_id, at, r.kind, r.memo, source, amount, None, lid)
    k = AccountKey.parse(r.account)
    running[r.account] += int(r.amount)
    return StatementLine(
        r.entry_id,
        at,
        r.kind,
        r.memo,
        r.account,
        to_units(k.natural(int(r.amount)), k.commodity),
        to_units(k.natural(running[r.account]), k.commodity),
        lid,
    )
