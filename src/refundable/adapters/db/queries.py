"""The read side: balances as of any instant, statements, lot history, traceability.

Reads run in their own short read-only transactions (deferred on SQLite, so they never wait
for the writer). Balances "now" come from the account projection; balances as of an instant
are summed from the lines of entries effective at or before it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, case, literal, select, tuple_

from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.checkpoints import checkpointed_sum
from refundable.adapters.db.engine import READONLY
from refundable.adapters.db.statement_pages import statement_page
from refundable.adapters.db.types import exact_sum, exact_total
from refundable.core.limits import MAX_LIST_ITEMS
from refundable.core.money import Money
from refundable.ledger.accounts import AccountKey, Kind, to_units
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.entries import JournalEntry
from refundable.ledger.holds import Hold
from refundable.ledger.lots import CreditLot
from refundable.service.queries import Balance, LotMovement, PaymentReturn, StatementLine
from refundable.service.resources import Page, page_of

__all__ = ["Balance", "LotMovement", "PaymentReturn", "SqlLedgerQueries", "StatementLine"]


class SqlLedgerQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine.execution_options(**{READONLY: True})

    def balances(
        self, tenant: str, as_of: datetime | None = None, owner: str | None = None
    ) -> list[Balance]:
        a, ln, e = t.accounts.c, t.lines.c, t.entries.c
        if as_of is None:
            stmt = select(a.code, a.balance, literal(0)).where(a.tenant_id == tenant)
        else:
            stmt = (
                select(ln.account, *exact_sum(ln.amount))  # SQLite-safe SUM (ADR 0032)
                .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
                .where(ln.tenant_id == tenant, e.effective_us <= rows.to_us(as_of))
                .group_by(ln.account)
            )
        with self.engine.begin() as conn:
            found = [
                (
                    AccountKey.parse(r[0]),
                    int(r[1] or 0) if as_of is None else exact_total(r[1], r[2]),
                )
                for r in conn.execute(stmt)
            ]
        return sorted(
            (
                Balance(k, to_units(k.natural(s), k.commodity))
                for k, s in found
                if owner is None or k.owner == owner
            ),
            key=lambda b: b.account.code,
        )

    def balance(self, tenant: str, account: AccountKey, as_of: datetime | None = None) -> Decimal:
        """One account's balance: the projection now, else the sum of that account's own lines
        up to ``as_of`` (index on (tenant, account): the cost is the account's history, not the
        tenant's)."""
        a, ln, e = t.accounts.c, t.lines.c, t.entries.c
        if as_of is not None:
            with self.engine.begin() as conn:
                raw = checkpointed_sum(conn, tenant, account.code, rows.to_us(as_of))
            if raw is not None:  # a hot account with checkpoints (ADR 0040)
                return to_units(account.natural(raw), account.commodity)
        if as_of is None:
            stmt = select(a.balance, literal(0)).where(
                a.tenant_id == tenant, a.code == account.code
            )
        else:
            stmt = (
                select(*exact_sum(ln.amount))  # SQLite-safe SUM (ADR 0032)
                .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
                .where(
                    ln.tenant_id == tenant,
                    ln.account == account.code,
                    # "+ 0": keep the planner on the account's lines (ix_lines_account) and
                    # off the tenant-wide range of ix_entries_effective
                    e.effective_us + 0 <= rows.to_us(as_of),
                )
            )
        with self.engine.begin() as conn:
            found = conn.execute(stmt).first()
        if found is None:
            return to_units(0, account.commodity)
        total = int(found[0] or 0) if as_of is None else exact_total(found[0], found[1])
        return to_units(account.natural(total), account.commodity)

    def rollup(self, tenant: str, as_of: datetime | None = None) -> dict[tuple[str, str], Decimal]:
        """Parent-account totals: every account of one kind and commodity summed (all customer
        wallets in ZAR, all clearing accounts in USD, ...), on the kind's normal side."""
        out: dict[tuple[str, str], Decimal] = {}
        for b in self.balances(tenant, as_of):
            key = (b.account.kind.name, b.account.commodity)
            out[key] = out.get(key, to_units(0, b.account.commodity)) + b.amount
        return out

    def journal(self, tenant: str) -> list[JournalEntry]:
        e, ln = t.entries.c, t.lines.c
        with self.engine.begin() as conn:
            heads = (
                conn.execute(
                    select(t.entries)
                    .where(e.tenant_id == tenant)
                    .order_by(e.effective_us, _charges_first(), e.recorded_us, e.entry_id)
                )
                .mappings()
                .all()
            )
            by_entry: dict[str, list[dict[str, object]]] = {}
            for r in conn.execute(select(t.lines).where(ln.tenant_id == tenant)).mappings():
                by_entry.setdefault(r["entry_id"], []).append(dict(r))
        return [rows.entry_from(h, by_entry.get(h["entry_id"], [])) for h in heads]

    def journal_page(self, tenant: str, after: str | None, limit: int) -> Page[JournalEntry]:
        """Keyset paging on ``journal``'s order: the entries after the cursor entry's own
        (effective instant, charge first, recorded instant, id), through the tenant's
        effective-time index; then the lines of just those entries."""
        e, ln = t.entries.c, t.lines.c
        order = (e.effective_us, _charges_first(), e.recorded_us, e.entry_id)
        stmt = select(t.entries).where(e.tenant_id == tenant)
        with self.engine.begin() as conn:
            if after is not None:
                cursor = conn.execute(
                    select(e.effective_us, e.kind, e.recorded_us)
                    .where(e.tenant_id == tenant, e.entry_id == after)
                ).first()  # fmt: skip
                if cursor is None:
                    return page_of([], limit)
                first = 0 if cursor.kind == "charge" else 1
                key = (cursor.effective_us, first, cursor.recorded_us, after)
                stmt = stmt.where(
                    e.effective_us >= cursor.effective_us,
                    tuple_(*order) > tuple_(*(literal(v) for v in key)),
                )
            heads = conn.execute(stmt.order_by(*order).limit(limit + 1)).mappings().all()
            by_entry: dict[str, list[dict[str, object]]] = {}
            ids = [h["entry_id"] for h in heads]
            if ids:
                lines = select(t.lines).where(ln.tenant_id == tenant, ln.entry_id.in_(ids))
                for r in conn.execute(lines.order_by(ln.entry_id, ln.line_no)).mappings():
                    by_entry.setdefault(r["entry_id"], []).append(dict(r))
        found = [rows.entry_from(h, by_entry.get(h["entry_id"], [])) for h in heads]
        return page_of(found, limit)

    def tenant_timezones(self, tenant: str | None = None) -> dict[str, str]:
        """Timezone name of each tenant (or of one): reports show local times."""
        tn = t.tenants.c
        stmt = select(tn.tenant_id, tn.timezone).order_by(tn.tenant_id)
        if tenant is not None:
            stmt = stmt.where(tn.tenant_id == tenant)
        with self.engine.begin() as conn:
            return {r.tenant_id: r.timezone for r in conn.execute(stmt.limit(MAX_LIST_ITEMS))}

    def statement(
        self, tenant: str, customer: str, limit: int | None = None
    ) -> list[StatementLine]:
        """Movements on the customer's own accounts, oldest first, with running balances per
        account (only those lines are read, not the whole journal), and every refund of their
        payments: a refund of a card or EFT payment moves no account of theirs, yet it is money
        they get back, so it is on their statement (without a balance). With ``limit``, only the
        newest ``limit`` movements (ADR 0040): their running balances count back from the
        account projection, so the page costs its own lines, not the customer's history."""
        a = t.accounts.c
        own = [k.name for k in Kind if k.spec.per_customer]
        codes = select(a.code, a.balance).where(
            a.tenant_id == tenant, a.owner == customer, a.kind.in_(own)
        )
        with self.engine.begin() as conn:
            # the customer's few accounts first (index on owner), then only their lines
            mine = {r.code: int(r.balance) for r in conn.execute(codes)}
            found = self._statement_lines(conn, tenant, list(mine), limit) if mine else []
            refunds = self._refunds_to_source(conn, tenant, customer)
        if limit is not None:
            found.reverse()  # newest first from the store: back to oldest first
            if len(found) == limit:  # a full page: older refunds belong to older pages
                refunds = [x for x in refunds if x[0] >= _order(found[0])]
        opening = (
            dict.fromkeys(mine, 0)
            if limit is None
            else {
                c: b - sum(int(r.amount) for r in found if r.account == c) for c, b in mine.items()
            }
        )
        return _statement(found, refunds, opening)

    def statement_page(
        self, tenant: str, customer: str, after: str | None, limit: int
    ) -> Page[StatementLine] | None:
        """Keyset pages of the statement, oldest first (``statement_pages``, ADR 0083)."""
        with self.engine.begin() as conn:
            return statement_page(conn, tenant, customer, after, limit)

    def _statement_lines(
        self, conn: Connection, tenant: str, mine: list[str], limit: int | None
    ) -> list[Any]:
        ln, e = t.lines.c, t.entries.c
        stmt = (
            select(e.entry_id, e.effective_us, e.recorded_us, e.kind, e.memo, ln.account, ln.amount)
            .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
            .where(ln.tenant_id == tenant, ln.account.in_(mine))
        )
        if limit is None:
            # "+ 0": sort the customer's few lines rather than walk the tenant's whole history
            # in ix_entries_effective order
            keys = [e.effective_us + 0, _charges_first(), e.recorded_us, e.entry_id, ln.line_no]
            return list(conn.execute(stmt.order_by(*keys)).all())
        cutoff = _page_cutoff(conn, tenant, mine, limit)
        if cutoff is not None:  # only lines at or after the page's oldest instant are read
            stmt = stmt.where(ln.effective_us >= cutoff)
        keys = [ln.effective_us, _charges_first(), e.recorded_us, e.entry_id, ln.line_no]
        return list(conn.execute(stmt.order_by(*(k.desc() for k in keys)).limit(limit)).all())

    def _refunds_to_source(
        self, conn: Connection, tenant: str, customer: str
    ) -> list[tuple[tuple[int, int, int, str], StatementLine]]:
        r, p, e = t.payment_returns.c, t.payments.c, t.entries.c
        stmt = (
            select(
                e.entry_id,
                e.effective_us,
                e.recorded_us,
                e.kind,
                e.memo,
                p.source_account,
                r.amount_minor,
                r.currency,
            )
            .join(t.payments, (p.tenant_id == r.tenant_id) & (p.payment_id == r.payment_id))
            .join(t.entries, (e.tenant_id == r.tenant_id) & (e.entry_id == r.entry_id))
            .where(r.tenant_id == tenant, p.customer_id == customer, r.kind == "refund")
        )
        return [
            (
                _order(x),
                StatementLine(
                    x.entry_id,
                    rows.from_us(x.effective_us),
                    x.kind,
                    x.memo,
                    x.source_account,
                    to_units(int(x.amount_minor), x.currency),
                    None,
                ),
            )
            for x in conn.execute(stmt)
        ]

    def lots_of(self, tenant: str, customer: str) -> list[CreditLot]:
        lo = t.lots.c
        with self.engine.begin() as conn:
            found = (
                conn.execute(
                    select(t.lots)
                    .where(lo.tenant_id == tenant, lo.customer_id == customer)
                    .order_by(lo.acquired_us, lo.lot_id)
                )
                .mappings()
                .all()
            )
        return [rows.lot_from(r) for r in found]

    def lot_history(self, tenant: str, lot_id: str) -> list[LotMovement]:
        ln, e = t.lines.c, t.entries.c
        stmt = (
            select(e.entry_id, e.effective_us, e.kind, ln.amount)
            .join(t.entries, (e.tenant_id == ln.tenant_id) & (e.entry_id == ln.entry_id))
            .where(ln.tenant_id == tenant, ln.lot_id == lot_id)
            .order_by(e.effective_us, e.recorded_us, e.entry_id)
        )
        with self.engine.begin() as conn:
            return [
                LotMovement(r.entry_id, rows.from_us(r.effective_us), r.kind, -int(r.amount))
                for r in conn.execute(stmt)
            ]

    def lots_of_event(self, tenant: str, event_id: str) -> list[Allocation]:
        a = t.usage_allocations.c
        with self.engine.begin() as conn:
            found = conn.execute(
                select(t.usage_allocations)
                .where(a.tenant_id == tenant, a.event_id == event_id)
                .order_by(a.lot_id)
            )
            return [
                Allocation(r.event_id, r.lot_id, int(r.units), int(r.value_minor)) for r in found
            ]

    def returns_of(
        self, tenant: str, payment_id: str | None = None, return_id: str | None = None
    ) -> list[PaymentReturn]:
        r = t.payment_returns.c
        stmt = select(t.payment_returns).where(r.tenant_id == tenant)
        if payment_id is not None:
            stmt = stmt.where(r.payment_id == payment_id)
        if return_id is not None:
            stmt = stmt.where(r.return_id == return_id)
        with self.engine.begin() as conn:
            found = conn.execute(stmt.order_by(r.at_us, r.return_id)).mappings().all()
        return [
            PaymentReturn(
                x["kind"],
                x["return_id"],
                x["payment_id"],
                Money.from_minor(int(x["amount_minor"]), x["currency"]),
                x["entry_id"],
                rows.from_us(x["at_us"]),
            )
            for x in found
        ]

    def payment_of_refund(self, tenant: str, refund_id: str) -> str | None:
        found = [x for x in self.returns_of(tenant, return_id=refund_id) if x.kind == "refund"]
        return found[0].payment_id if found else None

    def remaining_refundable(self, tenant: str, payment_id: str) -> Money | None:
        p = t.payments.c
        with self.engine.begin() as conn:
            r = (
                conn.execute(
                    select(t.payments).where(p.tenant_id == tenant, p.payment_id == payment_id)
                )
                .mappings()
                .first()
            )
        if r is None:
            return None
        pay = rows.payment_from(r)
        return pay.money(pay.refundable_minor)

    def holds_of(self, tenant: str, customer: str) -> list[Hold]:
        """Every hold ever placed on the customer, oldest first, with how and when each was
        released (``released_at``/``resolution`` None while it is still in force)."""
        return self._holds(tenant, customer, active_only=False)

    def active_holds(self, tenant: str, customer: str) -> list[Hold]:
        """The customer's holds still in force (placed and not released), oldest first."""
        return self._holds(tenant, customer, active_only=True)

    def _holds(self, tenant: str, customer: str, active_only: bool) -> list[Hold]:
        h, r = t.holds.c, t.hold_releases.c
        stmt = (
            select(t.holds, r.resolution, r.released_us)
            .outerjoin(t.hold_releases, (r.tenant_id == h.tenant_id) & (r.hold_id == h.hold_id))
            .where(h.tenant_id == tenant, h.customer_id == customer)
            .order_by(h.placed_us, h.hold_id)
        )
        if active_only:
            stmt = stmt.where(r.hold_id.is_(None))
        with self.engine.begin() as conn:
            found = conn.execute(stmt).mappings().all()
        return [rows.hold_from(x, x["released_us"], x["resolution"]) for x in found]


def _page_cutoff(conn: Connection, tenant: str, mine: list[str], limit: int) -> int | None:
    """The effective instant of the ``limit``-th newest line on the customer's accounts, from
    the index on (tenant, account, effective_us) alone (ADR 0045); None if there are fewer."""
    ln = t.lines.c
    stmt = (
        select(ln.effective_us)
        .where(ln.tenant_id == tenant, ln.account.in_(mine))
        .order_by(ln.effective_us.desc())
        .offset(limit - 1)
        .limit(1)
    )
    found = conn.execute(stmt).scalar()
    return None if found is None else int(found)


def _charges_first() -> Any:
    """At one instant a charge sorts before the payment that settles it."""
    return case((t.entries.c.kind == "charge", 0), else_=1)


def _statement(
    found: list[Any],
    refunds: list[tuple[tuple[int, int, int, str], StatementLine]],
    opening: dict[str, int],
) -> list[StatementLine]:
    """Statement lines in order, each with its account's running balance from ``opening``."""
    running = dict(opening)
    out: list[tuple[tuple[int, int, int, str], StatementLine]] = []
    seen = {r.entry_id for r in found}
    keys: dict[str, AccountKey] = {}  # a customer has a handful of accounts: parse once
    for r in found:
        k = keys.get(r.account) or keys.setdefault(r.account, AccountKey.parse(r.account))
        running[r.account] = running.get(r.account, 0) + int(r.amount)
        line = StatementLine(
            r.entry_id,
            rows.from_us(r.effective_us),
            r.kind,
            r.memo,
            r.account,
            to_units(k.natural(int(r.amount)), k.commodity),
            to_units(k.natural(running[r.account]), k.commodity),
        )
        out.append((_order(r), line))
    out += [x for x in refunds if x[1].entry_id not in seen]
    out.sort(key=lambda x: x[0])  # stable: the lines of one entry keep their order
    return [line for _, line in out]


def _order(r: Any) -> tuple[int, int, int, str]:
    return (int(r.effective_us), 0 if r.kind == "charge" else 1, int(r.recorded_us), r.entry_id)
