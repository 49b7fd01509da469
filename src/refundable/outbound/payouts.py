"""A payout: an approved refund on its way back to the customer's payment instrument.

Pure records and transitions (no I/O, no clock): requested -> sent -> settled, or failed;
a failure because the instrument is no longer valid waits for the alternative arrangement the
policy offers (MyProtektor 8.1) instead of ending. Each transition refuses a move the state
does not allow; the handlers treat "already there" as a replay (duplicate or out-of-order
gateway callbacks), never as a second payment. ADR 0056.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from refundable.core.errors import TransitionRefused
from refundable.core.methods import Method
from refundable.core.money import FxRate, Money
from refundable.core.time import BusinessCalendar


class PayoutState(StrEnum):
    requested = "requested"  # recorded; the gateway may or may not have been asked yet
    sent = "sent"  # the gateway accepted it (pending settlement)
    settled = "settled"  # the gateway confirmed it and the ledger posted it (final)
    failed = "failed"  # declined for good (final)
    awaiting_alternative = "awaiting_alternative"  # the instrument is gone: 8.1's alternative


FINAL = frozenset({PayoutState.settled, PayoutState.failed})
# Gateway failure reasons that mean "this instrument cannot take money any more".
INSTRUMENT_GONE = frozenset({"instrument_invalid", "expired_or_canceled_card", "account_closed"})

# How long each instrument usually takes to receive a refund, in business days (MyProtektor
# 8.1 names card 5-10 and EFT 7-14; other instruments are read as bank transfers). The policy's
# own payout promise, where it has one, sets the latest date instead.
SETTLEMENT_BUSINESS_DAYS: dict[Method, tuple[int, int]] = {
    Method.card: (5, 10),
    Method.eft: (7, 14),
    Method.debit_order: (7, 14),
    Method.cash: (7, 14),
    Method.wallet: (0, 0),
    Method.account_credit: (0, 0),
}


@dataclass(frozen=True, slots=True)
class Payout:
    tenant_id: str
    payout_id: str
    case_id: str
    message_id: str  # the outbox message now carrying it (the gateway key derives from it)
    customer_id: str
    payment_id: str
    decision_id: str
    requested: Money  # what the decision pays, in its (the policy's refund) currency
    amount: Money  # what goes to the instrument, in the payment's currency
    method: Method
    gateway: str
    state: PayoutState
    requested_at: datetime
    expected_from: datetime
    expected_by: datetime
    fx: FxRate | None = None  # the rate at processing time, with its source (8.2)
    gateway_refund_id: str | None = None
    failure_reason: str | None = None
    destination: str | None = None  # the alternative arrangement's account, when there is one
    sent_at: datetime | None = None
    settled_at: datetime | None = None
    entry_id: str | None = None

    @property
    def gateway_key(self) -> str:
        """Our idempotency key at the gateway: one per outbox message that carries it."""
        return f"refundable-{self.tenant_id}-{self.message_id}"

    def _refuse(self, move: str) -> TransitionRefused:
        return TransitionRefused(
            f"payout {self.payout_id} is {self.state.value}: it cannot be {move}",
            where="payout_id",
            allowed="requested -> sent -> settled | failed | awaiting_alternative",
        )

    def sent(self, gateway_refund_id: str, at: datetime) -> Payout:
        if self.state is not PayoutState.requested:
            raise self._refuse("sent")
        return replace(self, state=PayoutState.sent, gateway_refund_id=gateway_refund_id,
                       sent_at=at)  # fmt: skip

    def settled(self, gateway_refund_id: str, at: datetime, entry_id: str) -> Payout:
        if self.state not in (PayoutState.requested, PayoutState.sent):
            raise self._refuse("settled")
        return replace(self, state=PayoutState.settled, gateway_refund_id=gateway_refund_id,
                       sent_at=self.sent_at or at, settled_at=at, entry_id=entry_id)  # fmt: skip

    def failed(self, gateway_refund_id: str | None, reason: str, at: datetime) -> Payout:
        if self.state not in (PayoutState.requested, PayoutState.sent):
            raise self._refuse("failed")
        state = (
            PayoutState.awaiting_alternative if reason in INSTRUMENT_GONE else PayoutState.failed
        )
        return replace(self, state=state, gateway_refund_id=gateway_refund_id or
                       self.gateway_refund_id, failure_reason=reason[:500])  # fmt: skip

    def redirected(
        self, message_id: str, method: Method, destination: str, at: datetime,
        window: tuple[datetime, datetime],
    ) -> Payout:  # fmt: skip
        """The customer accepted the alternative arrangement: a fresh request, a fresh key."""
        if self.state is not PayoutState.awaiting_alternative:
            raise self._refuse("redirected")
        return replace(
            self, message_id=message_id, method=method, destination=destination,
            state=PayoutState.requested, requested_at=at, gateway_refund_id=None,
            failure_reason=None, sent_at=None, expected_from=window[0], expected_by=window[1],
        )  # fmt: skip


def expected_window(
    method: Method, start: datetime, calendar: BusinessCalendar, latest_days: int | None
) -> tuple[datetime, datetime]:
    """When the money should reach the instrument, on the tenant's business calendar: the
    instrument's usual range, its end moved to the policy's promise when the policy names one
    (the later of the two, so the customer is never told "late" before the policy says so)."""
    low, high = SETTLEMENT_BUSINESS_DAYS[method]
    if latest_days is not None:
        high = max(high, latest_days)
    if high == 0:
        return start, start
    return calendar.business_deadline(start, max(low, 1)), calendar.business_deadline(start, high)


def convert(requested: Money, payment_currency: str, fx: FxRate | None) -> Money:
    """The requested value in the payment's currency at the rate given (MyProtektor 8.2: the
    rate prevailing when the payout is processed), rounded to the minor unit."""
    if requested.currency == payment_currency:
        return requested
    if fx is None or fx.base != requested.currency or fx.quote != payment_currency:
        have = "none" if fx is None else fx.pair
        raise TransitionRefused(
            f"a {requested.currency} refund to a {payment_currency} payment needs the "
            f"{requested.currency}/{payment_currency} rate (got {have})",
            where="fx",
            allowed=f"an exchange rate {requested.currency}/{payment_currency} with its source",
        )
    return requested.convert(fx).round()
