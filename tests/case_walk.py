"""What a customer and a business actually receive while a case is walked on a test clock.

``received(app, tenant, tmp_path)`` starts a real SMTP server (aiosmtpd) and a local webhook
endpoint that verifies every delivery's Standard Webhooks signature, registers the endpoint
for the tenant, and gives back a :class:`Received` whose ``drain(at)`` runs the real outbox
worker at the test clock's instant (payouts through the sandbox gateway, emails over SMTP,
webhooks signed over HTTP) and returns only what arrived since the previous drain. The
endpoint's clock is set to the same instant, so the signature's timestamp is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from outbox_kit import drain, sandbox, senders
from refundable.adapters.email import SmtpMailer
from refundable.adapters.payments.sandbox import SandboxGateway
from refundable.adapters.webhooks import HttpWebhookSender
from refundable.bootstrap import App
from refundable.service import commands as c
from refundable.service.outbox import OutboxReport, Senders
from smtp_box import Mailbox, smtp_server
from webhook_receiver import Received as Endpoint
from webhook_receiver import webhook_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass(frozen=True, slots=True)
class Arrived:
    """What one drain delivered: the emails (parsed) and the verified webhook bodies."""

    emails: list[EmailMessage]
    hooks: list[dict[str, Any]]
    report: OutboxReport

    @property
    def subjects(self) -> list[str]:
        """Sorted: messages written at one instant leave in message-id order, not causal."""
        return sorted(str(m["Subject"]) for m in self.emails)

    @property
    def types(self) -> list[str]:
        """The webhook types in the order the case recorded its events (``data.seq``)."""
        return [str(h["type"]) for h in self.hooks]

    def text(self, subject_part: str) -> str:
        [mail] = [m for m in self.emails if subject_part in str(m["Subject"])]
        body = mail.get_body(("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Received:
    app: App
    tenant: str
    box: Mailbox
    endpoint: Endpoint
    gateway: SandboxGateway
    wired: Senders
    mails_seen: int = 0
    hooks_seen: int = 0
    ids: set[str] = field(default_factory=set)

    def drain(self, at: datetime) -> Arrived:
        self.endpoint.now = at
        report = drain(self.app, self.wired, at, self.tenant)
        emails = self.box.messages[self.mails_seen :]
        hooks = self.endpoint.verified[self.hooks_seen :]
        self.mails_seen, self.hooks_seen = len(self.box.messages), len(self.endpoint.verified)
        assert self.endpoint.rejected == [], self.endpoint.rejected
        for delivery_id, _ in hooks:
            assert delivery_id not in self.ids, f"delivery {delivery_id} arrived twice"
            self.ids.add(delivery_id)
        assert report.dead == 0, report
        bodies = sorted((body for _, body in hooks), key=lambda b: int(b["data"]["seq"]))
        return Arrived(emails, bodies, report)


@contextmanager
def received(app: App, tenant: str, tmp_path: Path, registered_at: datetime) -> Iterator[Received]:
    gw = sandbox(tmp_path)
    with smtp_server() as (box, port), webhook_receiver(SECRET) as (endpoint, url):
        app.bus.handle(c.RegisterWebhookEndpoint(tenant, "reg-walk", "walk", url, SECRET, ("*",),
                                                 registered_at))  # fmt: skip
        s = senders(gw)
        wired = Senders(gw, SmtpMailer("127.0.0.1", port, "refunds@business.example"),
                        HttpWebhookSender(timeout_s=5), s.fx)  # fmt: skip
        yield Received(app, tenant, box, endpoint, gw, wired)
