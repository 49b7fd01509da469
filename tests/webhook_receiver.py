"""A business's webhook endpoint for tests: a local HTTP server that verifies each delivery's
Standard Webhooks signature with the endpoint's secret, as a receiver must, and keeps what
it received. It can answer 500 to the first N deliveries (to make the sender retry).

A receiver checks the signature's timestamp against its own clock (five minutes either way).
Tests on a product test clock set ``Received.now`` to the instant the worker sends at; the
signature is then checked exactly as the library does (same HMAC), against that instant."""

from __future__ import annotations

import base64
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from local_http import serving


@dataclass
class Received:
    secret: str
    fail_first: int = 0
    verified: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (id, body)
    rejected: list[str] = field(default_factory=list)
    seen: int = 0
    now: datetime | None = None  # the receiver's clock; None: the wall clock (the library's)


@contextmanager
def webhook_receiver(secret: str, fail_first: int = 0) -> Iterator[tuple[Received, str]]:
    got = Received(secret, fail_first)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                got.seen += 1
                if got.seen <= got.fail_first:
                    return self._answer(500)
                try:
                    payload = _verify(got, body, dict(self.headers.items()))
                except WebhookVerificationError as err:
                    got.rejected.append(str(err))
                    return self._answer(400)
                got.verified.append((self.headers["webhook-id"], payload))
            self._answer(204)

        def _answer(self, code: int) -> None:
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    with serving(Handler) as base:
        yield got, base + "/hooks"


TOLERANCE = timedelta(minutes=5)


def _verify(got: Received, body: bytes, headers: dict[str, str]) -> Any:
    if got.now is None:
        return Webhook(got.secret).verify(body, headers)
    low = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, sigs = (low.get(k, "") for k in ("webhook-id", "webhook-timestamp",
                                                    "webhook-signature"))  # fmt: skip
    if not (msg_id and stamp and sigs):
        raise WebhookVerificationError("missing required headers")
    at = datetime.fromtimestamp(int(stamp), UTC)
    if abs(at - got.now) > TOLERANCE:
        raise WebhookVerificationError(f"timestamp {at} is not within 5 minutes of {got.now}")
    expected = base64.b64decode(Webhook(got.secret).sign(msg_id, at, body.decode()).split(",")[1])
    for versioned in sigs.split(" "):
        version, _, sig = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig)):
            return json.loads(body)
    raise WebhookVerificationError("no matching signature found")


def payload_of(received: Received) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(p)) for _, p in received.verified]
