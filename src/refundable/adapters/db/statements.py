"""The prebuilt statements of a single posting (claim, loads, entry, lines, payment rows,
receipt), written once with the schema's tables and compiled once per dialect (``prepared``).

Each is a function of ``pg`` (is the store PostgreSQL?): row locks (``FOR UPDATE``) exist only
there, SQLite's ``BEGIN IMMEDIATE`` already holds the one writer lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from refundable.adapters.db import schema as t
from refundable.adapters.db.prepared import Arity, Prepared

_I, _A, _P, _D = t.idempotency.c, t.accounts.c, t.payments.c, t.decisions.c


def _insert_ignore(table: Table, pg: bool) -> Any:
    return (postgresql.insert(table) if pg else sqlite.insert(table)).on_conflict_do_nothing()


def _lock(stmt: Any, pg: bool) -> Any:
    return stmt.with_for_update() if pg else stmt


def _claim(n: int, pg: bool) -> Any:
    cols = ("tenant_id", "key", "command", "payload_hash", "result", "created_us")
    rows: list[dict[str, Any]] = [{c: bindparam(f"r{i}_{c}") for c in cols} for i in range(n)]
    return _insert_ignore(t.idempotency, pg).values(rows).returning(_I.key)


CLAIM = Arity(_claim)
"""Insert n idempotency rows, skipping those already there; returns the keys inserted."""


def _remember(n: int, pg: bool) -> Any:
    keys: list[Any] = [bindparam(f"k{i}") for i in range(n)]
    return (
        update(t.idempotency)
        .where(_I.tenant_id == bindparam("tenant"), _I.key.in_(keys))
        .values(result=bindparam("receipt"))
    )


REMEMBER = Arity(_remember)
"""Store one receipt under the n keys a command claimed (one statement)."""

ENSURE_ACCOUNT = Prepared(lambda pg: _insert_ignore(t.accounts, pg))
ENTRY = Prepared(lambda pg: insert(t.entries))
MAX_PREBUILT_LINES = 8  # longer entries (usage batches) go through Core's executemany
LINES_PER_STATEMENT = 500  # PostgreSQL: many lines per multi-row INSERT (8 values each)


def _lines(n: int, pg: bool) -> Any:
    cols = [c.key for c in t.lines.c]
    return insert(t.lines).values([{c: bindparam(f"l{i}_{c}") for c in cols} for i in range(n)])


LINES = Arity(_lines)
"""An entry's n lines in one statement: PostgreSQL's balance trigger (one per statement) then
moves the accounts in code order, as concurrent postings expect (no deadlocks)."""


def _balances(n: int, pg: bool) -> Any:
    codes: list[Any] = [bindparam(f"c{i}") for i in range(n)]
    stmt = (
        select(_A.code, _A.balance)
        .where(_A.tenant_id == bindparam("tenant"), _A.code.in_(codes))
        .order_by(_A.code)
    )
    return _lock(stmt, pg)


MAX_PREBUILT_KEYS = 16  # more accounts at once (sweeps) go through Core's IN list
BALANCES = Arity(_balances)
"""The balances of n accounts, locked on PostgreSQL (in code order: no deadlocks)."""

PAYMENT_COLUMNS = tuple(c.key for c in t.payments.c)
LOCK_PAYMENT = Prepared(
    lambda pg: _lock(
        select(t.payments).where(
            _P.tenant_id == bindparam("tenant"), _P.payment_id == bindparam("payment")
        ),
        pg,
    )
)
ADD_PAYMENT = Prepared(lambda pg: insert(t.payments))
SAVE_PAYMENT = Prepared(
    lambda pg: (
        update(t.payments)
        .where(_P.tenant_id == bindparam("tenant"), _P.payment_id == bindparam("payment"))
        .values(
            refunded_minor=bindparam("refunded", type_=t.MINOR),
            charged_back_minor=bindparam("charged_back", type_=t.MINOR),
        )
    )
)
ADD_RETURN = Prepared(lambda pg: insert(t.payment_returns))

DECISION_COLUMNS = tuple(c.key for c in t.decisions.c)
DECISION = Prepared(
    lambda pg: select(t.decisions).where(
        _D.tenant_id == bindparam("tenant"), _D.decision_id == bindparam("decision")
    )
)

# The side effects of a case command (issue 10's intake benchmark): outbox messages, case
# events and scheduled actions, each a small insert per row; prebuilt, and deferred with the
# rest on PostgreSQL, so a case command's tail goes with its commit.
ADD_OUTBOX = Prepared(lambda pg: _insert_ignore(t.outbox, pg))
ADD_CASE_EVENT = Prepared(lambda pg: insert(t.case_events))
ADD_SCHEDULED = Prepared(lambda pg: _insert_ignore(t.scheduled_actions, pg))

# A refund case command (issue 11): the intake's reads and the case row's writes, prebuilt
# like the posting's (a statement built per call cost ~0.1 ms of Python inside the write
# transaction, which on SQLite holds the store's one write lock).
_C, _T, _V = t.cases.c, t.tenants.c, t.policy_versions.c
CASE_SAVED = (
    "state", "open_key", "next_due_us", "updated_us", "body", "next_warn_us", "breach_marked",
    "last_due_us",
)  # fmt: skip
ADD_CASE = Prepared(lambda pg: insert(t.cases))
SAVE_CASE = Prepared(
    lambda pg: (
        update(t.cases)
        .where(_C.tenant_id == bindparam("tenant"), _C.case_id == bindparam("case"))
        .values({c: bindparam(f"new_{c}", type_=_C[c].type) for c in CASE_SAVED})
    )
)
CASE_BODY = Prepared(
    lambda pg: _lock(
        select(_C.body).where(_C.tenant_id == bindparam("tenant"), _C.case_id == bindparam("case")),
        pg,
    )
)
OPEN_CASE_WITH = Prepared(
    lambda pg: select(_C.case_id).where(
        _C.tenant_id == bindparam("tenant"), _C.open_key == bindparam("open_key")
    )
)
TENANT_COLUMNS = ("tenant_id", "name", "policy_id", "currency", "timezone")
TENANT = Prepared(
    lambda pg: select(*(_T[c] for c in TENANT_COLUMNS)).where(_T.tenant_id == bindparam("tenant"))
)
DIGEST_IN_FORCE = Prepared(
    lambda pg: (
        select(_V.digest)
        .where(_V.tenant_id == bindparam("tenant"), _V.starts_us <= bindparam("at_us"))
        .order_by(_V.starts_us.desc())
        # LIMIT (and SQLite's OFFSET) in the text: Prepared passes only named parameters
        .limit(literal_column("1"))
        .offset(literal_column("0"))
    )
)
ADD_DECISION = Prepared(lambda pg: insert(t.decisions))
# One entry by id, its lines, and the entry a case's subject names (a charge by its ref): the
# reads of a case about a charge, prepared so that its rehearsal can record them (ADR 0072).
_E, _L = t.entries.c, t.lines.c
ENTRY_COLUMNS = tuple(c.key for c in t.entries.c)
LINE_COLUMNS = tuple(c.key for c in t.lines.c)
ENTRY_ROW = Prepared(
    lambda pg: select(t.entries).where(
        _E.tenant_id == bindparam("tenant"), _E.entry_id == bindparam("entry_id")
    )
)
ENTRY_LINES = Prepared(
    lambda pg: select(t.lines).where(
        _L.tenant_id == bindparam("tenant"), _L.entry_id == bindparam("entry_id")
    )
)
ENTRY_BY_REF = Prepared(
    lambda pg: select(_E.entry_id)
    .where(_E.tenant_id == bindparam("tenant"), _E.ref == bindparam("ref"),
           _E.kind == bindparam("kind"))
    .limit(literal_column("1"))  # as before: the first the store finds
    .offset(literal_column("0"))
)  # fmt: skip
PARTY_COLUMNS = tuple(c.key for c in t.parties.c)
PARTY = Prepared(
    lambda pg: select(t.parties).where(
        t.parties.c.tenant_id == bindparam("tenant"),
        t.parties.c.customer_id == bindparam("customer"),
    )
)
