"""Where the portal's sign-in mail goes.

A configured relay (``REFUNDABLE_SMTP_HOST``) gets it through the SMTP adapter. `refundable
serve` with the demo and no relay starts a local SMTP sink and sets it as the relay (ADR 0084),
so the link goes there like every notice, and the sink's log line shows it. A demo app built
without ``serve`` and without a relay writes the message to standard output instead; outside
the demo a missing relay means ``localhost:25``, like the outbox's notices.
"""

from __future__ import annotations

import sys
import threading

from refundable.config import Settings
from refundable.service.ports import Mailer


class EchoMailer:
    """Prints each message (the demo without a relay)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        with self._lock:
            sys.stdout.write(f"--- mail to {to}: {subject}\n{text}\n---\n")
            sys.stdout.flush()


def mailer_for(settings: Settings) -> Mailer:
    if settings.resolved_demo and not settings.smtp_host:
        return EchoMailer()
    from refundable.adapters.email import SmtpMailer

    return SmtpMailer.from_settings(settings)
