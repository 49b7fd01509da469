"""MyProtektor 10.2 in the pure core: an end announced less than 60 days ahead is refused
with the clause and the earliest end; at the end a subscription stops, unpaid unused time is
no longer owed and the prepaid unused part is handed on as a refund due under 10.2."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from refundable.billing.discontinuation import check_notice
from refundable.billing.effects import NoticeKind, PostingKind
from refundable.billing.events import Discontinue, PaymentSucceeded, StartTrial, Subscribe
from refundable.billing.plans import Cycle, Plan
from refundable.billing.policy import lifecycle_rules
from refundable.billing.rules import PrepaidTreatment
from refundable.billing.subscription import BillingState
from refundable.billing.transitions import apply
from refundable.core.errors import NoticeTooShort, TransitionRefused
from refundable.policy.loader import load_policy_text

from .support import CONEK, SECOND, T0, day, zar

FILE = Path(__file__).parents[3] / "src/refundable/policies/myprotektor.yaml"
RULES = lifecycle_rules(load_policy_text(FILE.read_text(), "myprotektor.yaml").document)
assert RULES is not None and RULES.discontinuation is not None
ANALYST = Plan("analyst", 2, Cycle.monthly, zar("620.00"))
END = day(15.5)  # half-way through the first 31-day period of January


def test_an_end_inside_the_60_days_is_refused_naming_the_clause_and_earliest_end() -> None:
    earliest = T0 + timedelta(days=60)
    with pytest.raises(NoticeTooShort) as err:
        check_notice(RULES, T0, earliest - SECOND)
    assert "10.2" in str(err.value) and earliest.isoformat() in (err.value.allowed or "")
    assert err.value.details["earliest_effective_at"] == earliest.isoformat()


def test_an_end_60_days_ahead_is_accepted_with_reminders_30_and_7_days_before() -> None:
    end = T0 + timedelta(days=60)
    assert check_notice(RULES, T0, end) == (end - timedelta(days=30), end - timedelta(days=7))


def test_a_policy_without_terms_refuses_to_discontinue() -> None:
    with pytest.raises(TransitionRefused, match="no terms for discontinuing"):
        check_notice(CONEK, T0, T0 + timedelta(days=400))


def _sub(paid: bool):  # type: ignore[no-untyped-def]
    sub = apply(None, Subscribe(ANALYST, key="m1"), T0, RULES)[0]
    return apply(sub, PaymentSucceeded(zar("620.00")), T0, RULES)[0] if paid else sub


def test_prepaid_unused_half_is_refunded_under_10_2() -> None:
    sub, fx = apply(_sub(paid=True), Discontinue("d1"), END, RULES)
    assert sub.state is BillingState.cancelled and sub.access.until_at == END
    [due] = fx.refunds
    assert (due.amount, due.clause, due.closed_at) == (zar("310.00"), "10.2", END)
    assert fx.postings == ()  # nothing was owed, nothing to write off
    assert NoticeKind.discontinued in {n.kind for n in fx.notices}
    assert sub.billing.next_renewal_at is None


def test_unpaid_unused_time_is_no_longer_owed_and_nothing_is_refunded() -> None:
    sub, fx = apply(_sub(paid=False), Discontinue("d1"), END, RULES)
    assert fx.refunds == ()
    assert [(p.kind, p.amount, p.clause) for p in fx.postings] == [
        (PostingKind.credit, zar("310.00"), "10.2")
    ]
    assert sub.billing.balance_due == zar("310.00")  # the half that was served stays owed
    assert sub.billing.account_credit == zar("0")


def test_a_policy_that_gives_credit_keeps_the_prepaid_part_as_account_credit() -> None:
    assert RULES.discontinuation is not None
    credit = replace(RULES.discontinuation, prepaid=PrepaidTreatment.credit_pro_rata)
    rules = replace(RULES, discontinuation=credit)
    sub, fx = apply(_sub(paid=True), Discontinue("d1"), END, rules)
    assert fx.refunds == () and sub.billing.account_credit == zar("310.00")


def test_a_trial_just_ends_and_an_ended_subscription_is_refused() -> None:
    conek_like = replace(RULES, trial=CONEK.trial)
    trial = apply(None, StartTrial("t1", ANALYST, 14, zar("0")), T0, conek_like)[0]
    ended, fx = apply(trial, Discontinue("d1"), day(3), conek_like)
    assert ended.state is BillingState.cancelled and fx.refunds == ()
    with pytest.raises(TransitionRefused):
        apply(ended, Discontinue("d1"), day(4), conek_like)
