"""A refund case paid end to end through the outbox, on SQLite and PostgreSQL: a Conek
customer reports a duplicate charge; the case is approved on intake and asks for its payout;
one worker pass pays it through the sandbox gateway, posts the refund once, moves the case to
paid in the same transaction (the settled-payout hook), and delivers every notice: the emails
to a real SMTP server and the case events to the business's endpoint, which verifies each
signature."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from casefakes import case_of, charge_and_pay, open_case, policy_tenant, zar
from outbox_kit import drain, refund_entries, sandbox, senders
from refundable.adapters.email import SmtpMailer
from refundable.adapters.webhooks import HttpWebhookSender
from refundable.bootstrap import App
from refundable.cases.model import Subject
from refundable.policy.facts import Reason
from refundable.service import commands as c
from refundable.service.outbox import Senders
from refundable.service.outbox_store import MessageState
from smtp_box import smtp_server
from webhook_receiver import webhook_receiver

CASELESS = False  # these payouts belong to real cases: the case hooks stay on
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
T0 = datetime(2026, 8, 3, 8, tzinfo=UTC)
INFO = {"email": "thandi@example.org", "account": "thandi@example.org, Acme (Pty) Ltd",
        "explanation": "the same invoice was charged twice"}  # fmt: skip
FACTS = {"charge": {"kind": "subscription", "billing": "monthly"}}


def test_a_duplicate_charge_is_paid_once_and_every_notice_arrives(app: App, tmp_path: Path) -> None:
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("100.00"), T0)
    case_id, opened = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge,
                                T0, payment_id=p, information=INFO, facts=FACTS)  # fmt: skip
    assert opened.details["state"] == "paying"
    now = datetime.now(UTC)  # the endpoint checks the signature's time against its own clock
    gw = sandbox(tmp_path)
    with smtp_server() as (box, port), webhook_receiver(SECRET) as (got, url):
        app.bus.handle(c.RegisterWebhookEndpoint(tenant, "reg-ep", "ep", url, SECRET, ("*",),
                                                 now))  # fmt: skip
        s = senders(gw)
        wired = Senders(gw, SmtpMailer("127.0.0.1", port, "refunds@conek.example"),
                        HttpWebhookSender(timeout_s=5), s.fx)  # fmt: skip
        report = drain(app, wired, now, tenant)
    assert report.dead == report.retried == 0
    assert case_of(app, tenant, case_id).state.value == "paid"
    assert app.outbox is not None
    [payout] = app.outbox.payouts(tenant)
    assert (payout.case_id, payout.state.value, payout.amount) == (case_id, "settled",
                                                                   zar("100.00"))  # fmt: skip
    assert refund_entries(app, tenant) == [payout.entry_id] and len(gw.refunds()) == 1
    assert app.outbox.messages(tenant, MessageState.pending) == []
    subjects = [m["Subject"] for m in box.messages]
    assert any("was paid" in s for s in subjects) and len(subjects) >= 3
    assert {m["To"] for m in box.messages} == {"thandi@example.org"}
    assert got.rejected == []
    types = [body["type"] for _, body in got.verified]
    assert "case.paid" in types and types[0] == "case.opened"
    assert len({delivery_id for delivery_id, _ in got.verified}) == len(got.verified)
