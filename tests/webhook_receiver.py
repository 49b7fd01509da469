"""A business's webhook endpoint for tests: a local HTTP server that verifies each delivery's
Standard Webhooks signature with the endpoint's secret, as a receiver must, and keeps what
it received. It can answer 500 to the first N deliveries (to make the sender retry)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    secret: str
    fail_first: int = 0
    verified: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (id, body)
    rejected: list[str] = field(default_factory=list)
    seen: int = 0


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
                    payload = Webhook(got.secret).verify(body, dict(self.headers.items()))
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def payload_of(received: Received) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(p)) for _, p in received.verified]
