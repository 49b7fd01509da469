"""A sandbox payment gateway that keeps its state in its own SQLite file and can misbehave
on demand, so the payout path is tested against the failures real gateways have.

It behaves like a provider: a refund request with an idempotency key already seen returns
the refund that key created (never a second one); a refund settles at once or after a number
of status polls (``slow_polls``); it posts status callbacks. Faults (persisted, so a worker in
another process sees them) are switched with :meth:`set_faults`:

* ``timeout_before`` / ``timeout_after``: probability that a call times out before the refund
  is recorded (nothing happened) or after (it happened, the answer was lost);
* ``decline``: probability that a new refund is declined; ``invalid_refs``: payment references
  whose instrument is gone (``instrument_invalid``);
* ``slow_polls``: status polls before a refund settles (0: settles at once);
* charges (collections, ADR 0066) share ``timeout_before`` / ``timeout_after``, ``decline``
  and ``duplicate_callbacks``; ``invalid_refs`` also names payment methods that are declined
  (``card_declined``); a charge settles or is declined at once;
* ``duplicate_callbacks``: every callback is posted twice; ``reorder_callbacks``: callbacks
  come out newest first.

The randomness is seeded (``seed``) and advanced per call, so a test run can be repeated.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from refundable.core.money import Money
from refundable.service.ports import (
    ChargeStatus,
    GatewayCharge,
    GatewayChargeRequest,
    GatewayRefund,
    GatewayRefundRequest,
    GatewayUnavailable,
    RefundStatus,
)

_A = TypeVar("_A")  # what a gateway call answers

_SCHEMA = """
CREATE TABLE IF NOT EXISTS refunds (
  refund_id TEXT PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, payment_ref TEXT NOT NULL,
  amount TEXT NOT NULL, currency TEXT NOT NULL, method TEXT NOT NULL, metadata TEXT NOT NULL,
  status TEXT NOT NULL, failure_reason TEXT, polls_left INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS calls (n INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL,
  key TEXT NOT NULL, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS callbacks (n INTEGER PRIMARY KEY AUTOINCREMENT,
  refund_id TEXT NOT NULL, status TEXT NOT NULL, failure_reason TEXT, metadata TEXT NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS charges (
  charge_id TEXT PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, payment_method_ref TEXT NOT NULL,
  amount TEXT NOT NULL, currency TEXT NOT NULL, metadata TEXT NOT NULL, status TEXT NOT NULL,
  failure_reason TEXT);
CREATE TABLE IF NOT EXISTS charge_callbacks (n INTEGER PRIMARY KEY AUTOINCREMENT,
  charge_id TEXT NOT NULL, status TEXT NOT NULL, failure_reason TEXT, metadata TEXT NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0);
"""


@dataclass(frozen=True, slots=True)
class Faults:
    timeout_before: float = 0.0
    timeout_after: float = 0.0
    decline: float = 0.0
    invalid_refs: tuple[str, ...] = ()
    slow_polls: int = 0
    duplicate_callbacks: bool = False
    reorder_callbacks: bool = False
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Callback:
    """A status notice the gateway posts (as a provider's webhook would)."""

    refund_id: str
    status: RefundStatus
    failure_reason: str | None
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class ChargeCallback:
    """A charge's status notice, as a provider's webhook would post it."""

    gateway_charge_id: str
    status: ChargeStatus
    failure_reason: str | None
    metadata: dict[str, str]


class SandboxGateway:
    name = "sandbox"

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        """The file and its tables are made on first use, not when the worker is wired."""
        if not self._ready:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            try:
                db.executescript(_SCHEMA)  # its own transaction, committed
            finally:
                db.close()
            self._ready = True
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # --- faults ---------------------------------------------------------------------------
    def set_faults(self, faults: Faults) -> None:
        body = json.dumps(dataclasses.asdict(faults))
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO faults (id, body) VALUES (1, ?)", (body,))

    def faults(self, db: sqlite3.Connection) -> Faults:
        row = db.execute("SELECT body FROM faults WHERE id = 1").fetchone()
        if row is None:
            return Faults()
        d = json.loads(row[0])
        return Faults(**{**d, "invalid_refs": tuple(d.get("invalid_refs", ()))})

    def _roll(self, db: sqlite3.Connection, faults: Faults, fault: str) -> bool:
        """Whether ``fault`` strikes this call (seeded by the fault and the calls so far)."""
        p: float = getattr(faults, fault)
        if p <= 0:
            return False
        n = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        return random.Random(f"{faults.seed}:{n}:{fault}").random() < p

    # --- the port -------------------------------------------------------------------------
    def refund(self, request: GatewayRefundRequest) -> GatewayRefund:
        return self._answer("refund", request.idempotency_key,
                            lambda db, faults: self._create(db, faults, request))  # fmt: skip

    def _answer(
        self, call: str, key: str, create: Callable[[sqlite3.Connection, Faults], _A]
    ) -> _A:
        """One call to the gateway under the switched-on faults: it may time out before
        anything is made, or after (made, but the answer is lost); either way it raises."""
        with self._tx() as db:
            faults = self.faults(db)
            if self._roll(db, faults, "timeout_before"):
                self._call(db, call, key, "timeout_before")
                found = None
            else:
                made = create(db, faults)
                lost = self._roll(db, faults, "timeout_after")
                self._call(db, call, key, "timeout_after" if lost else "answered")
                found = None if lost else made
        if found is None:
            raise GatewayUnavailable("sandbox gateway timed out")
        return found

    def _create(
        self, db: sqlite3.Connection, faults: Faults, r: GatewayRefundRequest
    ) -> GatewayRefund:
        row = db.execute("SELECT * FROM refunds WHERE idem_key = ?", (r.idempotency_key,))
        found = row.fetchone()
        if found is not None:
            return _check_replay(found, r)
        status, reason = RefundStatus.succeeded, None
        if r.payment_ref in faults.invalid_refs:
            status, reason = RefundStatus.failed, "instrument_invalid"
        elif self._roll(db, faults, "decline"):
            status, reason = RefundStatus.failed, "declined"
        elif faults.slow_polls > 0:
            status = RefundStatus.pending
        refund_id = f"sbx_re_{uuid.uuid4().hex[:20]}"
        db.execute(
            "INSERT INTO refunds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (refund_id, r.idempotency_key, r.payment_ref, str(r.amount.amount),
             r.amount.currency, r.method.value, json.dumps(dict(r.metadata)), status.value,
             reason, faults.slow_polls),
        )  # fmt: skip
        self._callback(db, faults, refund_id, RefundStatus.pending, None, r.metadata)
        if status is not RefundStatus.pending:
            self._callback(db, faults, refund_id, status, reason, r.metadata)
        return GatewayRefund(refund_id, status, reason)

    def refund_status(self, gateway_refund_id: str) -> GatewayRefund:
        with self._tx() as db:
            faults = self.faults(db)
            row = db.execute("SELECT status, failure_reason, polls_left, metadata FROM refunds "
                             "WHERE refund_id = ?", (gateway_refund_id,)).fetchone()  # fmt: skip
            if row is None:
                raise LookupError(f"sandbox has no refund {gateway_refund_id}")
            status, reason, polls_left, meta = RefundStatus(row[0]), row[1], row[2], row[3]
            if status is RefundStatus.pending:
                polls_left -= 1
                if polls_left <= 0:
                    status = RefundStatus.succeeded
                    self._callback(db, faults, gateway_refund_id, status, None, json.loads(meta))
                db.execute("UPDATE refunds SET status = ?, polls_left = ? WHERE refund_id = ?",
                           (status.value, polls_left, gateway_refund_id))  # fmt: skip
            self._call(db, "status", gateway_refund_id, status.value)
        return GatewayRefund(gateway_refund_id, status, reason)

    def charge(self, request: GatewayChargeRequest) -> GatewayCharge:
        def create(db: sqlite3.Connection, faults: Faults) -> GatewayCharge:
            return self._create_charge(db, faults, request)

        return self._answer("charge", request.idempotency_key, create)

    def _create_charge(
        self, db: sqlite3.Connection, faults: Faults, r: GatewayChargeRequest
    ) -> GatewayCharge:
        row = db.execute("SELECT charge_id, payment_method_ref, amount, currency, status, "
                         "failure_reason FROM charges WHERE idem_key = ?",
                         (r.idempotency_key,)).fetchone()  # fmt: skip
        if row is not None:
            if (row[1], Money.of(row[2], row[3])) != (r.payment_method_ref, r.amount):
                raise ValueError(f"idempotency key {r.idempotency_key} reused with other "
                                 "parameters")  # fmt: skip
            return GatewayCharge(row[0], ChargeStatus(row[4]), row[5])
        status, reason = ChargeStatus.succeeded, None
        if r.payment_method_ref in faults.invalid_refs or self._roll(db, faults, "decline"):
            status, reason = ChargeStatus.failed, "card_declined"
        charge_id = f"sbx_ch_{uuid.uuid4().hex[:20]}"
        meta = json.dumps(dict(r.metadata))
        db.execute("INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (charge_id, r.idempotency_key, r.payment_method_ref, str(r.amount.amount),
                    r.amount.currency, meta, status.value, reason))  # fmt: skip
        for _ in range(2 if faults.duplicate_callbacks else 1):
            db.execute("INSERT INTO charge_callbacks (charge_id, status, failure_reason, "
                       "metadata) VALUES (?, ?, ?, ?)",
                       (charge_id, status.value, reason, meta))  # fmt: skip
        return GatewayCharge(charge_id, status, reason)

    def charge_status(self, gateway_charge_id: str) -> GatewayCharge:
        with self._tx() as db:
            row = db.execute("SELECT status, failure_reason FROM charges WHERE charge_id = ?",
                             (gateway_charge_id,)).fetchone()  # fmt: skip
            if row is None:
                raise LookupError(f"sandbox has no charge {gateway_charge_id}")
            self._call(db, "charge_status", gateway_charge_id, row[0])
        return GatewayCharge(gateway_charge_id, ChargeStatus(row[0]), row[1])

    def take_charge_callbacks(self, limit: int = 1000) -> list[ChargeCallback]:
        """The charge callbacks not delivered yet, oldest first."""
        with self._tx() as db:
            rows = db.execute("SELECT n, charge_id, status, failure_reason, metadata FROM "
                              "charge_callbacks WHERE delivered = 0 ORDER BY n LIMIT ?",
                              (limit,)).fetchall()  # fmt: skip
            db.executemany("UPDATE charge_callbacks SET delivered = 1 WHERE n = ?",
                           [(r[0],) for r in rows])  # fmt: skip
        return [ChargeCallback(r[1], ChargeStatus(r[2]), r[3], json.loads(r[4])) for r in rows]

    def charges(self) -> list[dict[str, Any]]:
        """Every charge the gateway made (the outside world's record, for tests)."""
        db = self._connect()
        try:
            cur = db.execute("SELECT charge_id, idem_key, payment_method_ref, amount, currency, "
                             "metadata, status FROM charges ORDER BY charge_id")  # fmt: skip
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        finally:
            db.close()

    # --- bookkeeping ----------------------------------------------------------------------
    def _call(self, db: sqlite3.Connection, op: str, key: str, outcome: str) -> None:
        db.execute("INSERT INTO calls (op, key, outcome) VALUES (?, ?, ?)", (op, key, outcome))

    def _callback(self, db: sqlite3.Connection, faults: Faults, refund_id: str,
                  status: RefundStatus, reason: str | None, meta: Any) -> None:  # fmt: skip
        copies = 2 if faults.duplicate_callbacks else 1
        for _ in range(copies):
            db.execute("INSERT INTO callbacks (refund_id, status, failure_reason, metadata) "
                       "VALUES (?, ?, ?, ?)", (refund_id, status.value, reason,
                                               json.dumps(dict(meta))))  # fmt: skip

    def take_callbacks(self, limit: int = 1000) -> list[Callback]:
        """The callbacks not delivered yet (oldest first, or newest first when reordered)."""
        with self._tx() as db:
            order = "DESC" if self.faults(db).reorder_callbacks else "ASC"
            rows = db.execute(f"SELECT n, refund_id, status, failure_reason, metadata FROM "
                              f"callbacks WHERE delivered = 0 ORDER BY n {order} LIMIT ?",
                              (limit,)).fetchall()  # fmt: skip
            db.executemany("UPDATE callbacks SET delivered = 1 WHERE n = ?",
                           [(r[0],) for r in rows])  # fmt: skip
        return [Callback(r[1], RefundStatus(r[2]), r[3], json.loads(r[4])) for r in rows]

    def refunds(self) -> list[dict[str, Any]]:
        """Every refund the gateway created (the ledger of the outside world, for tests)."""
        db = self._connect()
        try:
            cur = db.execute("SELECT refund_id, idem_key, payment_ref, amount, currency, "
                             "metadata, status FROM refunds ORDER BY refund_id")  # fmt: skip
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        finally:
            db.close()

    def calls(self) -> list[tuple[str, str, str]]:
        db = self._connect()
        try:
            return [tuple(r) for r in db.execute("SELECT op, key, outcome FROM calls ORDER BY n")]
        finally:
            db.close()


def _check_replay(row: Any, r: GatewayRefundRequest) -> GatewayRefund:
    """A key reused with other parameters is the caller's bug (providers refuse it too)."""
    if (row[2], Money.of(row[3], row[4])) != (r.payment_ref, r.amount):
        raise ValueError(f"idempotency key {r.idempotency_key} reused with other parameters")
    return GatewayRefund(row[0], RefundStatus(row[7]), row[8])
