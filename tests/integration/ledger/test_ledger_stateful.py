"""Hypothesis stateful test: random sequences of ledger commands against a simple model.

After every step: every entry balances, no account is below its floor, each lot's remaining
units equal its lines, and wallets, credit units and refundable amounts equal the model.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from fakes import decide, duplicate_charge, fee_due, open_tenant
from refundable.bootstrap import App
from refundable.core.errors import (
    InputError,
    InsufficientFunds,
    LotExpired,
    OverRefund,
    TransferNotAllowed,
)
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.ledger import accounts as chart
from refundable.ledger.ids import derived_id
from refundable.ledger.invariants import audit
from refundable.ledger.lots import LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = ("R1", "C1")  # C1 is a client of reseller R1: R1 -> C1 transfers only
cents = st.integers(min_value=1, max_value=5000)


def zar(minor: int) -> Money:
    return Money.from_minor(minor, "ZAR")


class LedgerMachine(RuleBasedStateMachine):
    app: App

    def __init__(self) -> None:
        super().__init__()
        self.tenant = f"h{uuid.uuid4().hex[:12]}"
        self.n = 0
        self.now = T0
        self.wallet = dict.fromkeys(CUSTOMERS, 0)
        self.refundable: dict[str, int] = {}
        self.lots: dict[str, tuple[str, int, datetime]] = {}  # lot -> (customer, left, until)
        self.consumed: list[tuple[str, str]] = []  # (usage event id, customer) not failed yet
        open_tenant(self.app, self.tenant)  # the test policy: all routes, 30-day credits
        self.handle(c.RegisterCustomer(self.tenant, "r-R1", "R1"))
        self.handle(c.RegisterCustomer(self.tenant, "r-C1", "C1", reseller_id="R1"))

    def handle(self, cmd: c.Command) -> object:
        return self.app.ledger.handle(cmd)

    def key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    def usable(self, customer: str) -> int:
        return sum(
            left
            for cust, left, until in self.lots.values()
            if cust == customer and self.now < until
        )

    @rule(who=st.sampled_from(CUSTOMERS), amount=cents)
    def top_up(self, who: str, amount: int) -> None:
        pid = self.key()
        self.handle(
            c.TopUpWallet(self.tenant, pid, pid, who, zar(amount), Method.card, "stripe", self.now)
        )
        self.wallet[who] += amount
        self.refundable[pid] = amount

    @rule(who=st.sampled_from(CUSTOMERS), amount=cents)
    def fee(self, who: str, amount: int) -> None:
        k = self.key()
        decide(self.app, self.tenant, k, who, fee_due(str(zar(2 * amount).amount)))
        try:
            self.handle(c.ChargeFee(self.tenant, k, k, who, k, self.now))
        except InsufficientFunds:
            assert amount > self.wallet[who]
        else:
            assert amount <= self.wallet[who]
            self.wallet[who] -= amount

    @rule(src=st.sampled_from(CUSTOMERS), dst=st.sampled_from(CUSTOMERS), amount=cents)
    def transfer(self, src: str, dst: str, amount: int) -> None:
        if src == dst:
            return
        k = self.key()
        try:
            self.handle(c.TransferWallet(self.tenant, k, k, src, dst, zar(amount), self.now))
        except TransferNotAllowed:
            assert (src, dst) != ("R1", "C1")
        except InsufficientFunds:
            assert amount > self.wallet[src]
        else:
            self.wallet[src] -= amount
            self.wallet[dst] += amount

    @rule(data=st.data(), amount=cents)
    def refund(self, data: st.DataObject, amount: int) -> None:
        if not self.refundable:
            return
        pid = data.draw(st.sampled_from(sorted(self.refundable)))
        owner = self.owner_of(pid)
        k = self.key()
        decide(self.app, self.tenant, k, owner, duplicate_charge(str(zar(amount).amount)))
        try:
            self.handle(c.PayRefund(self.tenant, k, k, pid, k, self.now))
        except OverRefund:
            assert amount > self.refundable[pid]
        except InsufficientFunds:
            assert amount > self.wallet[owner]
        else:
            self.refundable[pid] -= amount
            self.wallet[owner] -= amount

    def owner_of(self, pid: str) -> str:
        from refundable.adapters.db import schema as t

        with self.app.db.connect() as conn:
            row = conn.execute(
                t.payments.select().where(
                    t.payments.c.tenant_id == self.tenant, t.payments.c.payment_id == pid
                )
            ).first()
        assert row is not None
        return str(row.customer_id)

    @rule(
        who=st.sampled_from(CUSTOMERS),
        units=st.integers(1, 40),
        price=st.integers(0, 900),
        promo=st.booleans(),
    )
    def buy_lot(self, who: str, units: int, price: int, promo: bool) -> None:
        k = self.key()
        source = LotSource.promotion if promo or price == 0 else LotSource.purchase
        money = zar(price) if price else Money.zero("ZAR")
        receipt = self.app.ledger.handle(
            c.BuyCreditLot(self.tenant, k, k, who, units, money, source, self.now)
        )
        until = datetime.fromisoformat(receipt.details["valid_until"])  # the policy's 4.1
        self.lots[k] = (who, units, until)

    @rule(who=st.sampled_from(CUSTOMERS), units=st.integers(1, 30))
    def consume(self, who: str, units: int) -> None:
        k = self.key()
        usable = self.usable(who)
        try:
            self.handle(c.ConsumeCredits(self.tenant, k, k, who, units, self.now))
        except (InsufficientFunds, LotExpired):
            assert units > usable
        else:
            assert units <= usable
            self.consumed.append((k, who))
            self.reload_lots()

    @rule(who=st.sampled_from(CUSTOMERS), count=st.integers(1, 25), resend=st.booleans())
    def ingest(self, who: str, count: int, resend: bool) -> None:
        """A batch of one-credit events with partial acceptance; optionally sent twice."""
        first = self.key()
        events = tuple(UsageEvent(f"{first}-{i}", who, 1, self.now) for i in range(count))
        usable = self.usable(who)
        receipt = self.app.ledger.handle(c.IngestUsage(self.tenant, events, self.now, partial=True))
        assert receipt.details["accepted"] == str(min(count, usable))
        accepted = [e.event_id for e in events[: min(count, usable)]]
        self.consumed += [(e, who) for e in accepted]
        if resend:
            again = self.app.ledger.handle(
                c.IngestUsage(self.tenant, events[: len(accepted)], self.now, partial=True)
            )
            assert again.details["duplicates"] == str(len(accepted)) and not again.entry_ids
        self.reload_lots()

    @rule(data=st.data())
    def fail_and_reinstate(self, data: st.DataObject) -> None:
        if not self.consumed:
            return
        event_id, who = data.draw(st.sampled_from(self.consumed))
        self.consumed.remove((event_id, who))
        drawn = self.app.queries.lots_of_event(self.tenant, event_id)
        expiries = [self.lots[a.lot_id][2] for a in drawn]
        k = self.key()
        try:
            self.handle(c.FailUsage(self.tenant, k, event_id, "platform", self.now))
        except InputError:
            assert any(not self.now < until for until in expiries)
            return
        assert all(self.now < until for until in expiries)
        for a, until in zip(drawn, expiries, strict=True):
            self.lots[derived_id("reinstated", a.lot_id, event_id)] = (who, a.units, until)

    @rule(hours=st.integers(1, 24 * 12))
    def tick(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def expire(self) -> None:
        self.handle(c.ExpireLots(self.tenant, self.key(), self.now))
        self.lots = {
            k: (cust, left if self.now < until else 0, until)
            for k, (cust, left, until) in self.lots.items()
        }

    def reload_lots(self) -> None:
        for who in CUSTOMERS:
            for lot in self.app.queries.lots_of(self.tenant, who):
                if lot.lot_id in self.lots:
                    cust, _, until = self.lots[lot.lot_id]
                    self.lots[lot.lot_id] = (cust, lot.remaining, until)

    @invariant()
    def books_balance_and_match_the_model(self) -> None:
        q = self.app.queries
        entries = q.journal(self.tenant)
        lots = [x for who in CUSTOMERS for x in q.lots_of(self.tenant, who)]
        assert audit([(e.entry_id, line) for e in entries for line in e.lines], lots) == []
        for who in CUSTOMERS:
            assert q.balance(self.tenant, chart.wallet(who, "ZAR")) == zar(self.wallet[who]).amount
            model_units = sum(left for cust, left, _ in self.lots.values() if cust == who)
            assert q.balance(self.tenant, chart.credit_lots(who)) == model_units
        for pid, left in self.refundable.items():
            assert q.remaining_refundable(self.tenant, pid) == zar(left)


def run(app: App, examples: int, steps: int) -> None:
    machine = type("Machine", (LedgerMachine,), {"app": app})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_random_operations_keep_the_ledger_sound_on_sqlite(sqlite_app: App) -> None:
    run(sqlite_app, examples=25, steps=20)


def test_random_operations_keep_the_ledger_sound_on_postgresql(postgresql_app: App) -> None:
    run(postgresql_app, examples=6, steps=15)
