"""Dead letters can be sent again, on SQLite and PostgreSQL: a payout whose gateway made the
refund but whose answers were lost until the worker gave up is re-sent by a person, and the
gateway, seeing the same idempotency key, replays the refund it made: one refund, one
posting. The delivery log keeps who re-sent it and why; repeating the resend is harmless and
a message already sent is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from outbox_kit import PAID_AT, approved_payout, drain, refund_entries, sandbox, senders
from refundable.adapters.payments.sandbox import Faults
from refundable.bootstrap import App
from refundable.core.errors import Conflict, InputError, NotFound
from refundable.service.outbox import RetryPolicy, resend_dead_letter
from refundable.service.outbox_store import MessageState, Outcome

GIVE_UP = RetryPolicy(first=timedelta(minutes=1), max_failures=2)


def test_a_dead_payout_resent_is_paid_once(app: App, tenant: str, tmp_path: Path) -> None:
    store = app.outbox
    assert store is not None
    gw = sandbox(tmp_path)
    message = approved_payout(app, tenant, f"{tenant}-k1", "25.00")
    gw.set_faults(Faults(timeout_after=1.0))  # the refund is made; every answer is lost
    now = PAID_AT
    for _ in range(3):
        drain(app, senders(gw), now, tenant, GIVE_UP)
        now += timedelta(hours=1)
    book = store.book(tenant, message.message_id)
    assert book is not None and book.state is MessageState.dead
    assert len(gw.refunds()) == 1 and refund_entries(app, tenant) == []
    gw.set_faults(Faults())  # the gateway is answering again
    with pytest.raises(InputError, match="who asks for it and why"):
        resend_dead_letter(store, tenant, message.message_id, "agent:ann", " ", now)
    with pytest.raises(NotFound):
        resend_dead_letter(store, tenant, "no-such", "agent:ann", "fixed", now)
    done = resend_dead_letter(store, tenant, message.message_id, "agent:ann", "PSP back", now)
    assert done.resent and done.kind == "payout"
    again = resend_dead_letter(store, tenant, message.message_id, "agent:bob", "again", now)
    assert not again.resent  # already waiting: nothing more happens
    report = drain(app, senders(gw), now, tenant, GIVE_UP)
    assert report.sent == 1, store.attempts(tenant, message_id=message.message_id)[-1]
    [payout] = store.payouts(tenant)
    assert payout.state.value == "settled"
    assert len(gw.refunds()) == 1 and refund_entries(app, tenant) == [payout.entry_id]
    log = store.attempts(tenant, message_id=message.message_id)
    assert [a.outcome for a in log][-2:] == [Outcome.resent, Outcome.sent]
    [audit] = [a for a in log if a.outcome is Outcome.resent]
    assert (audit.target, audit.detail) == ("agent:ann", "resent by agent:ann: PSP back")
    assert len({a.attempt for a in log}) == len(log)  # numbered on, never overwritten
    with pytest.raises(Conflict, match="is sent, not dead"):
        resend_dead_letter(store, tenant, message.message_id, "agent:ann", "twice", now)
