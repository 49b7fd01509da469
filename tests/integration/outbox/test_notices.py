"""Notices leave through the outbox on SQLite and PostgreSQL: emails over real SMTP (aiosmtpd
on 127.0.0.1) and webhooks to a local endpoint that verifies the Standard Webhooks signature;
a failing endpoint is retried with the same delivery id, and every attempt is in the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from outbox_kit import drain, sandbox, senders, write
from refundable.adapters.email import SmtpMailer
from refundable.adapters.webhooks import HttpWebhookSender
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.outbox import Senders
from refundable.service.outbox_kinds import email_message, webhook_message
from refundable.service.outbox_store import MessageState, Outcome
from smtp_box import smtp_server
from webhook_receiver import webhook_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_emails_arrive_over_smtp_once(app: App, tenant: str, tmp_path: Path) -> None:
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    to = "thandi@example.org"
    received = email_message(f"{tenant}-m1", to=to, subject="We received R-1",
                             text="Your request R-1 arrived on 2 March.", at=now)  # fmt: skip
    decided = email_message(f"{tenant}-m2", to=to, subject="Decision on R-1",
                            text="Approved under clause 2.2.", html="<p>Approved</p>",
                            at=now)  # fmt: skip
    write(app, tenant, received, decided)
    with smtp_server() as (box, port):
        s = senders(sandbox(tmp_path))
        wired = Senders(s.gateway, SmtpMailer("127.0.0.1", port, "refunds@acme.example"),
                        s.webhooks, s.fx)  # fmt: skip
        assert drain(app, wired, now, tenant).sent == 2
        assert drain(app, wired, now + timedelta(hours=1), tenant).sent == 0
    assert [m["Subject"] for m in box.messages] == ["We received R-1", "Decision on R-1"]
    assert box.messages[0].get_content().strip() == "Your request R-1 arrived on 2 March."
    assert {m["From"] for m in box.messages} == {"refunds@acme.example"}
    for m in box.messages:  # each says when it was sent (RFC 5322 requires the Date field)
        sent = parsedate_to_datetime(m["Date"])
        assert sent.tzinfo is not None and abs(datetime.now(UTC) - sent) < timedelta(hours=1)


def test_a_dead_relay_is_retried_then_delivers(app: App, tenant: str, tmp_path: Path) -> None:
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    write(app, tenant, email_message(f"{tenant}-m1", to="a@b.example", subject="S", text="T",
                                     at=now))  # fmt: skip
    s = senders(sandbox(tmp_path))
    from smtp_box import free_port

    nowhere = Senders(s.gateway, SmtpMailer("127.0.0.1", free_port(), "x@y.example", 2),
                      s.webhooks, s.fx)  # fmt: skip
    assert drain(app, nowhere, now, tenant).retried == 1
    assert app.outbox is not None
    book = app.outbox.book(tenant, f"{tenant}-m1")
    assert book is not None and book.next_at is not None and book.state is MessageState.pending
    with smtp_server() as (box, port):
        wired = Senders(s.gateway, SmtpMailer("127.0.0.1", port, "x@y.example"), s.webhooks,
                        s.fx)  # fmt: skip
        assert drain(app, wired, book.next_at, tenant).sent == 1
    assert len(box.messages) == 1
    log = app.outbox.attempts(tenant, kind="email")
    assert [a.outcome for a in log] == [Outcome.retry, Outcome.sent]


def test_webhooks_are_signed_retried_with_one_id_and_logged(
    app: App, tenant: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)  # the receiver checks the signature's time against its own clock
    with webhook_receiver(SECRET, fail_first=1) as (got, url):
        app.bus.handle(c.RegisterWebhookEndpoint(tenant, "reg-ep1", "ep1", url, SECRET, ("*",),
                                                 now))  # fmt: skip
        event = webhook_message(f"{tenant}-ev1", event_type="case.decided", event_id="evt-1",
                                data={"case_id": "K1"}, at=now)  # fmt: skip
        write(app, tenant, event)
        s = senders(sandbox(tmp_path))
        wired = Senders(s.gateway, s.mailer, HttpWebhookSender(timeout_s=5), s.fx)
        first = drain(app, wired, now, tenant)
        assert (first.sent, first.retried) == (1, 1)  # the event fanned out; the endpoint said 500
        assert app.outbox is not None
        [delivery] = [m for m in app.outbox.messages(tenant) if m.kind == "webhook_delivery"]
        book = app.outbox.book(tenant, delivery.message_id)
        assert book is not None and book.next_at is not None
        assert drain(app, wired, book.next_at, tenant).sent == 1
    assert got.rejected == []
    [(delivery_id, body)] = got.verified
    assert delivery_id == delivery.message_id
    assert (body["type"], body["id"], body["data"]) == ("case.decided", "evt-1", {"case_id": "K1"})
    log = app.outbox.attempts(tenant, kind="webhook_delivery")
    assert [(a.message_id, a.status_code, a.outcome) for a in log] == [
        (delivery_id, 500, Outcome.retry), (delivery_id, 204, Outcome.sent)]  # fmt: skip
