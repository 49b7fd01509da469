"""The lifecycle property's harness, shared by the memory-store test
(tests/service/test_lifecycle_ledger_properties.py) and the SQLite/PostgreSQL one
(tests/integration/lifecycle/test_lifecycle_properties_stores.py).

Property, through the whole service: for any random sequence of lifecycle commands and clock
moves (renewals, trial ends, downgrades, dunning and suspensions run by the scheduled work),
on Conek's and MyProtektor's policies,

Overage (MyProtektor 6.1) is billed on the subscription too, so the gateway collects or fails
it like a renewal.

* access never extends past what was charged, nor past the policy's grace after a failed
  payment that is still unpaid (the harness, playing the gateway, knows when it failed);
* the ledger stays balanced, and what it says the customer owes (receivable less account
  credit) is what the subscription says (balance due less account credit).

The harness is the payment gateway: after every clock move, if money is owed and it has not
yet said so, it either pays in full or reports a failure, as the drawn sequence decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from lifecycle_support import (
    CONEK_PLANS,
    MYPROTEKTOR_PLANS,
    START,
    define_plans,
    journal_balanced,
    open_policy_tenant,
    pay,
    zar,
)
from refundable.billing.events import CancelMode
from refundable.billing.plans import UsageAllowance
from refundable.bootstrap import App
from refundable.core.errors import RefundableError
from refundable.core.money import Money
from refundable.ledger import accounts as chart
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock

GRACE = timedelta(days=7)  # both policies' lifecycle.suspension.grace_days
FEATURE = {"conek": "messaging", "myprotektor": "dashboard"}
PLANS = {"conek": ("starter", "growth"), "myprotektor": ("viewer", "analyst")}
Sequence_ = list[tuple[tuple[str, int, bool]]]

ops = st.one_of(
    st.tuples(st.just("advance"), st.integers(1, 45 * 24), st.booleans()),  # hours, gateway pays
    st.tuples(st.just("upgrade"), st.just(0), st.booleans()),
    st.tuples(st.just("downgrade"), st.just(0), st.booleans()),
    st.tuples(st.just("withdraw"), st.just(0), st.booleans()),
    st.tuples(st.just("cancel"), st.just(0), st.booleans()),  # True: immediate
    st.tuples(st.just("undo"), st.just(0), st.booleans()),
    st.tuples(st.just("terminate"), st.just(0), st.booleans()),
    st.tuples(st.just("reactivate"), st.just(0), st.booleans()),
    st.tuples(st.just("pay_part"), st.integers(1, 900), st.booleans()),
    st.tuples(st.just("overage"), st.integers(1, 400), st.booleans()),  # alarm events used
)
ALARMS = UsageAllowance("alarm_events", 100, zar("2.50"))  # MyProtektor bills overage (6.1)


class Harness:
    def __init__(self, app: App, policy: str, trial: bool) -> None:
        self.app, self.policy = app, policy
        self.t = open_policy_tenant(app, policy, f"p{uuid.uuid4().hex[:12]}")
        metered = tuple({**p, "usage": (ALARMS,)} for p in MYPROTEKTOR_PLANS)
        define_plans(app, self.t, CONEK_PLANS if policy == "conek" else metered)  # type: ignore[arg-type]
        app.bus.handle(c.CreateTestClock(self.t, "k", "clk", START))
        self.now, self.n, self.sid = START, 0, "S0"
        self.failed_at: datetime | None = None  # the gateway's first failure not yet paid off
        low = PLANS[policy][0]
        if trial and policy == "conek":
            self.do(c.StartTrial(self.t, "start", "S0", "C1", low, 14, START, zar("20.00")))
        else:
            self.do(c.Subscribe(self.t, "start", "S0", "C1", low, START))

    def key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    def do(self, cmd: c.Command) -> None:
        try:
            self.app.bus.handle(cmd)
        except RefundableError:
            return  # refused by the state or the policy: nothing written (checked elsewhere)

    def owed(self) -> Decimal:
        q, t = self.app.queries, self.t
        return q.balance(t, chart.receivable("C1", "ZAR")) - q.balance(
            t, chart.account_credit("C1", "ZAR")
        )

    def step(self, op: str, n: int, flag: bool) -> None:
        t, sid, low, high = self.t, self.sid, *PLANS[self.policy]
        match op:
            case "advance":
                self.now += timedelta(hours=n)
                advance_test_clock(self.app.bus, self.app.work, t, "clk", self.now)
                self.gateway(flag)
            case "upgrade":
                self.do(c.UpgradePlan(t, self.key(), sid, high, self.now))
            case "downgrade":
                self.do(c.DowngradePlan(t, self.key(), sid, low, self.now))
            case "withdraw":
                self.do(c.WithdrawDowngrade(t, self.key(), sid, self.now))
            case "cancel":
                mode = CancelMode.immediate if flag else CancelMode.at_period_end
                self.do(c.CancelSubscription(t, self.key(), sid, self.now, mode))
            case "undo":
                self.do(c.UndoCancellation(t, self.key(), sid, self.now))
            case "terminate":
                self.do(c.TerminateSubscription(t, self.key(), sid, "abuse", self.now))
            case "reactivate":
                new = f"S{self.n + 1}" if self.policy == "conek" else None
                self.do(c.ReactivateSubscription(t, self.key(), sid, low, self.now, new))
            case "pay_part":
                self._pay(min(Decimal(n), self._due()))
            case "overage":  # refused on Conek (no overage billing) and on plans not metered
                key = self.key()
                self.do(c.BillOverage(t, key, f"ov-{key}", sid, "alarm_events", n, self.now))
        newest = self.app.subscriptions.of_customer(t, "C1")[0]
        self.sid = newest.subscription_id

    def _due(self) -> Decimal:
        rec = self.app.subscriptions.record(self.t, self.sid)
        assert rec is not None
        return rec.subscription.billing.balance_due.amount

    def _pay(self, amount: Decimal) -> None:
        owed = self._due()
        if amount > 0:
            pay(self.app, self.t, self.sid, str(amount), self.now, self.key())
        # Paying all that was owed clears the failure, even when the payment lifts a suspension
        # and the reinstated subscription renews at once: that new charge has not failed yet.
        if amount >= owed or self._due() == 0:
            self.failed_at = None

    def gateway(self, pays: bool) -> None:
        if self._due() == 0 or self.failed_at is not None:
            return
        if pays:
            self._pay(self._due())
        else:
            self.failed_at = self.now
            self.do(c.RecordPaymentFailure(self.t, self.key(), self.sid, self.now))

    def check(self) -> None:
        app, t = self.app, self.t
        assert journal_balanced(app, t)
        rec = app.subscriptions.record(t, self.sid)
        assert rec is not None
        bill = rec.subscription.billing
        assert self.owed() == (bill.balance_due - bill.account_credit).amount
        zero = Money.zero(bill.period_charged.currency)  # what a period gives back (ADR 0069)
        assert bill.period_charged >= zero and bill.period_price >= zero
        for probe in (self.now, self.now + GRACE / 2, self.now + GRACE, self.now + 2 * GRACE):
            if not app.subscriptions.can_use(t, "C1", FEATURE[self.policy], probe).allowed:
                continue
            assert probe < bill.charged_through_at, "access past what was charged"
            assert probe < rec.subscription.access.until_at
            if self.failed_at is not None and bill.balance_due.is_positive:
                assert probe < self.failed_at + GRACE, "access past the grace period"


def run_sequence(app: App, policy: str, trial: bool, seq: Sequence_) -> None:
    """The property, on any store: a fresh tenant, then check after every step."""
    h = Harness(app, policy, trial)
    h.check()
    for ((op, n, flag),) in seq:
        h.step(op, n, flag)
        h.check()


POLICIES = st.sampled_from(["conek", "myprotektor"])
SEQUENCES = st.lists(st.tuples(ops), min_size=1, max_size=25)
