"""The payout record's transitions and timing, pure: a move the state does not allow is
refused; expected settlement dates follow the instrument and the policy's promise on the
business calendar; a cross-currency amount needs the right rate."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from refundable.core.errors import TransitionRefused
from refundable.core.methods import Method
from refundable.core.money import FxRate, Money
from refundable.core.time import BusinessCalendar
from refundable.outbound.payouts import Payout, PayoutState, convert, expected_window

AT = datetime(2026, 4, 20, 10, tzinfo=UTC)  # a Monday; Freedom Day (27 April) follows


def _calendar() -> BusinessCalendar:
    from refundable.bootstrap import registry

    return registry().in_force("myprotektor", AT).calendar


def test_expected_dates_follow_the_instrument_on_the_business_calendar() -> None:
    """MyProtektor 8.1: card 5-10, EFT 7-14 business days; weekends, Freedom Day (27 April)
    and Workers' Day (1 May) do not count."""
    card = expected_window(Method.card, AT, _calendar(), 10)
    eft = expected_window(Method.eft, AT, _calendar(), 14)
    assert [d.date().isoformat() for d in card] == ["2026-04-28", "2026-05-06"]
    assert [d.date().isoformat() for d in eft] == ["2026-04-30", "2026-05-12"]
    assert expected_window(Method.card, AT, _calendar(), 14)[1] == eft[1]  # the policy wins
    assert expected_window(Method.wallet, AT, _calendar(), None) == (AT, AT)


def _payout() -> Payout:
    z = Money.of("10.00", "ZAR")
    return Payout("t", "po", "k", "m", "c", "p", "d", z, z, Method.card, "sandbox",
                  PayoutState.requested, AT, AT, AT)  # fmt: skip


def test_the_states_move_forward_only() -> None:
    sent = _payout().sent("re_1", AT)
    done = sent.settled("re_1", AT, "e1")
    assert (done.state, done.entry_id) == (PayoutState.settled, "e1")
    with pytest.raises(TransitionRefused, match="settled: it cannot be failed"):
        done.failed("re_1", "declined", AT)
    with pytest.raises(TransitionRefused):
        sent.sent("re_2", AT)


def test_a_gone_instrument_waits_for_the_alternative() -> None:
    waiting = _payout().failed("re_1", "instrument_invalid", AT)
    assert waiting.state is PayoutState.awaiting_alternative
    assert _payout().failed(None, "declined", AT).state is PayoutState.failed
    again = waiting.redirected("m2", Method.eft, "ZA-1", AT, (AT, AT))
    assert (again.state, again.gateway_key) == (PayoutState.requested, "refundable-t-m2")


def test_conversion_needs_the_pair_it_converts() -> None:
    z = Money.of("185.00", "ZAR")
    rate = FxRate("ZAR", "USD", Decimal("0.054054"), AT, "table")
    assert convert(z, "USD", rate) == Money.of("10.00", "USD")
    assert convert(z, "ZAR", None) is z
    with pytest.raises(TransitionRefused, match="ZAR/USD rate"):
        convert(z, "USD", FxRate("USD", "ZAR", Decimal("18.5")))
