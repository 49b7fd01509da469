"""Email over SMTP with the standard library: the outbox worker's :class:`Mailer`.

Synchronous on purpose: the worker sends one message per claimed row and records the outcome
before the next, so a slow relay slows the worker, never the request that wrote the notice.
One connection per message keeps a dead relay from poisoning later sends; the relay is local
(or a submission agent) so the handshake is cheap. Failures raise ``smtplib``/``OSError``
errors, which the worker records as a failed attempt and retries with backoff.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from refundable.config import Settings


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        host, port, sender = settings.resolved_smtp
        return cls(host, port, sender)

    def build(self, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message["Date"] = format_datetime(datetime.now(UTC))  # RFC 5322: the origination date
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        return message

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        message = self.build(to, subject, text, html)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            smtp.send_message(message)
