"""Where the portal's sign-in mail goes.

A configured relay (``REFUNDABLE_SMTP_HOST``) gets it through the SMTP adapter. The demo
server with no relay configured writes the message to its standard output instead, so a
newcomer can sign in to the portal at once; outside the demo a missing relay means
``localhost:25``, like the outbox's notices.
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
