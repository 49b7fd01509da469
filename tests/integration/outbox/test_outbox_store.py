"""The outbox worker's store on SQLite and PostgreSQL: a claim leases a message so no other
worker takes it until the lease runs out; parallel claims divide the messages; the attempt log
and the payout history are append-only; a payout settles through the worker once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fakes import T0
from outbox_kit import PAID_AT, approved_payout, drain, refund_entries, sandbox, senders, write
from races import race
from refundable.bootstrap import App
from refundable.service.outbox_kinds import email_message
from refundable.service.outbox_store import Attempt, Outcome

LEASE = timedelta(minutes=5)


def _mails(app: App, tenant: str, n: int) -> None:
    mails = [
        email_message(f"{tenant}-m{i:02}", to="a@b.example", subject=f"S{i}", text="T",
                      at=T0 + timedelta(seconds=i))
        for i in range(n)
    ]  # fmt: skip
    write(app, tenant, *mails)


def test_a_claim_leases_until_it_runs_out(app: App, tenant: str) -> None:
    assert app.outbox is not None
    _mails(app, tenant, 1)
    [first] = app.outbox.claim(PAID_AT, PAID_AT + LEASE, 10, tenant)
    assert first.attempt == 1 and first.message.payload["subject"] == "S0"
    assert app.outbox.claim(PAID_AT + LEASE - timedelta(seconds=1), PAID_AT + LEASE * 2, 10,
                            tenant) == []  # fmt: skip
    [again] = app.outbox.claim(PAID_AT + LEASE, PAID_AT + LEASE * 2, 10, tenant)
    assert again.attempt == 2  # the first worker died holding it; this one takes over


def test_parallel_claims_divide_the_messages(app: App, tenant: str) -> None:
    assert app.outbox is not None
    store = app.outbox
    _mails(app, tenant, 24)
    got = race(6, lambda _: store.claim(PAID_AT, PAID_AT + LEASE, 4, tenant))
    ids = [c.message.message_id for batch in got if isinstance(batch, list) for c in batch]
    assert sorted(ids) == sorted(set(ids))  # nobody got a message another worker holds
    assert len(ids) == 24 or any(isinstance(b, BaseException) for b in got)


def test_a_late_worker_cannot_undo_a_success(app: App, tenant: str) -> None:
    assert app.outbox is not None
    _mails(app, tenant, 1)
    mid = f"{tenant}-m00"
    for n, outcome in ((2, Outcome.sent), (1, Outcome.retry)):  # the slow worker records last
        app.outbox.record(Attempt(tenant, mid, n, "email", PAID_AT, outcome,
                                  next_at=PAID_AT + LEASE, failures=1))  # fmt: skip
    book = app.outbox.book(tenant, mid)
    assert book is not None and book.state.value == "sent"
    assert [a.outcome for a in app.outbox.attempts(tenant, message_id=mid)] == [
        Outcome.retry,
        Outcome.sent,
    ]  # fmt: skip  (both attempts are in the log)


@pytest.mark.parametrize("table", ["outbox_attempts", "payout_events"])
def test_delivery_and_payout_history_is_append_only(
    app: App, tenant: str, tmp_path: Path, table: str
) -> None:
    approved_payout(app, tenant, f"{tenant}-k1")
    drain(app, senders(sandbox(tmp_path)), tenant=tenant)
    with pytest.raises(DBAPIError, match="append-only"), app.db.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET at_us = at_us + 1 WHERE tenant_id = :t"),
                     {"t": tenant})  # fmt: skip
    with pytest.raises(DBAPIError, match="append-only"), app.db.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": tenant})


def test_a_payout_settles_once_and_its_history_is_kept(
    app: App, tenant: str, tmp_path: Path
) -> None:
    gw = sandbox(tmp_path)
    approved_payout(app, tenant, f"{tenant}-k1")
    assert drain(app, senders(gw), tenant=tenant).sent == 1
    assert drain(app, senders(gw), PAID_AT + timedelta(days=2), tenant=tenant).sent == 0
    assert app.outbox is not None
    [payout] = app.outbox.payouts(tenant)
    assert payout.state.value == "settled"
    assert refund_entries(app, tenant) == [payout.entry_id]
    with app.db.connect() as conn:
        states = conn.execute(text("SELECT state FROM payout_events WHERE tenant_id = :t "
                                   "ORDER BY seq"), {"t": tenant}).scalars().all()  # fmt: skip
    assert states == ["requested", "settled"]
    assert app.outbox.payout_by_gateway_id(payout.gateway_refund_id or "") == payout
