"""Property: under any sequence of lifecycle events, Conek's rules never give access past
what was charged plus grace, and the postings agree with a simple model of what is owed."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from refundable.billing.effects import PostingKind
from refundable.billing.entitlement import can_use
from refundable.billing.events import (
    Cancel,
    Downgrade,
    GraceEnded,
    PaymentFailed,
    PaymentSucceeded,
    PeriodEnd,
    Reactivate,
    StartTrial,
    Subscribe,
    Suspend,
    Terminate,
    UndoCancel,
    Upgrade,
    WithdrawDowngrade,
)
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import TransitionRefused
from refundable.core.money import Money

from .support import CONEK, GROWTH, SCALE, STARTER, T0, zar

PLANS = (STARTER, GROWTH, SCALE)
GRACE = timedelta(days=CONEK.suspension.grace_days)

events = st.one_of(
    st.builds(
        StartTrial, st.just("k0"), st.sampled_from(PLANS), st.integers(1, 30), st.just(zar("20.00"))
    ),
    st.builds(Subscribe, st.sampled_from(PLANS), st.just("k0")),
    st.builds(Upgrade, st.sampled_from(PLANS)),
    st.builds(Downgrade, st.sampled_from(PLANS)),
    st.just(WithdrawDowngrade()),
    st.just(Cancel()),
    st.just(UndoCancel()),
    st.just(PaymentFailed()),
    st.builds(PaymentSucceeded, st.integers(1, 2000).map(lambda n: Money(Decimal(n), "ZAR"))),
    st.just(GraceEnded()),
    st.just(Suspend()),
    st.just(Terminate("abuse")),
    st.builds(Reactivate, st.sampled_from(PLANS), st.sampled_from(["k1", "k2"])),
    st.just(PeriodEnd()),
)
gaps = st.integers(0, 40 * 24 * 3600)
starts = st.one_of(
    st.builds(Subscribe, st.sampled_from(PLANS), st.just("k0")),
    st.builds(
        StartTrial, st.just("k0"), st.sampled_from(PLANS), st.integers(1, 30), st.just(zar("20.00"))
    ),
)
# Every sequence starts a subscription, so the rest of the events act on one.
steps = st.tuples(starts, st.lists(st.tuples(events, gaps), max_size=40)).map(
    lambda first_rest: [(first_rest[0], 0), *first_rest[1]]
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_access_bounded_and_postings_balance(seq) -> None:
    sub, at = None, T0
    owed_by_postings = zar("0")  # charges - credits - payments, as a simple model
    applied = 0
    for event, gap in seq:
        at = at + timedelta(seconds=gap)
        try:
            new, fx = apply(sub, event, at, CONEK)
        except TransitionRefused:
            continue
        for p in fx.postings:
            assert p.clause, "every posting cites its clause"
            if p.kind is PostingKind.charge:
                owed_by_postings += p.amount
            elif p.kind is PostingKind.credit:
                owed_by_postings -= p.amount
        if isinstance(event, PaymentSucceeded):
            owed_by_postings -= event.amount
        assert all(a.clause for a in fx.actions) and all(n.clause for n in fx.notices)
        sub, applied = new, applied + 1
        bill = sub.billing
        assert owed_by_postings == bill.balance_due - bill.account_credit
        assert not bill.balance_due.is_negative and not bill.account_credit.is_negative
        _check_access(sub, at)
    assert applied >= 1  # the first event always starts a subscription


def _check_access(sub, at) -> None:
    bill = sub.billing
    assert sub.access.until_at <= bill.charged_through_at
    for probe in (at, at + GRACE / 2, at + GRACE, bill.charged_through_at):
        if can_use(sub, "messaging", probe, CONEK):
            assert probe < bill.charged_through_at
            if bill.first_failed_at is not None:
                assert probe < bill.first_failed_at + GRACE
            assert sub.state not in (BillingState.suspended, BillingState.terminated)
