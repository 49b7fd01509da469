"""A local SMTP server that keeps what it receives: the demo's mail relay (ADR 0084).

`refundable serve` with the demo and no relay configured used to send every notice to
``localhost:25``, where nothing listens: each failed, was retried, and the unsent outbox grew.
The demo now starts this sink on 127.0.0.1 and sends its mail there over real SMTP, the same
path a configured relay gets (``SmtpMailer``). Each message is written as an ``.eml`` file
under the data directory and announced in one log line (recipient, subject, file, and the
first link in it: the portal's sign-in link is one). aiosmtpd runs it on a thread of its own.
"""

from __future__ import annotations

import itertools
import logging
import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from refundable.core.errors import ConfigurationError

_LOG = logging.getLogger("refundable.mail")
_LINK = re.compile(r"https?://\S+")
HOST = "127.0.0.1"


class _Keep:
    """aiosmtpd's handler: each message to a file, and a line saying so."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # numbered on from what an earlier run kept, so the files sort as they came
        self._numbers = itertools.count(len(list(folder.glob("*.eml"))) + 1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.content
        path = self._keep(content)
        parsed = message_from_bytes(content, policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",)) if parsed.is_multipart() else parsed
        text = body.get_content() if body is not None else ""
        link = _LINK.search(text if isinstance(text, str) else "")
        _LOG.info(
            "mail to %s: %s (kept in %s)%s",
            ", ".join(envelope.rcpt_tos), parsed.get("Subject", ""), path,
            f" link: {link.group(0)}" if link else "",
        )  # fmt: skip
        return "250 OK"

    def _keep(self, content: bytes) -> Path:
        with self._lock:
            while True:
                path = self.folder / f"mail-{next(self._numbers):05d}.eml"
                try:
                    with path.open("xb") as out:  # never over another process's file
                        out.write(content)
                    return path
                except FileExistsError:
                    continue


@dataclass
class MailSink:
    """A running sink: where it listens and where it keeps the mail."""

    host: str
    port: int
    folder: Path
    _controller: Any

    def stop(self) -> None:
        self._controller.stop()


def start_sink(folder: Path, attempts: int = 5) -> MailSink:
    """Start a sink on a free port of 127.0.0.1, keeping messages under ``folder``."""
    from aiosmtpd.controller import Controller

    folder.mkdir(parents=True, exist_ok=True)
    last: Exception | None = None
    for _ in range(attempts):  # a free port may be taken between finding it and binding it
        port = _free_port()
        controller = Controller(_Keep(folder), hostname=HOST, port=port)
        try:
            controller.start()
        except Exception as err:  # another process took the port: try another
            last = err
            continue
        return MailSink(HOST, port, folder, controller)
    raise ConfigurationError(
        f"the demo's local mail sink could not start: {last}",
        where="refundable serve (no REFUNDABLE_SMTP_HOST)",
        allowed="a free local TCP port, or a relay in REFUNDABLE_SMTP_HOST",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port
