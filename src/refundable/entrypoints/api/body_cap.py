"""One cap on every request body, before any route parses it (ADR 0068).

The decision routes already refused a text past ``MAX_DOCUMENT_BYTES``, but the other JSON
routes read whatever arrived: a client could send a gigabyte to ``/v1/customers``. This ASGI
middleware refuses a body past its path's cap with a 413 ``input_too_large`` problem that names
the limit: at once when ``Content-Length`` announces it, else as soon as the bytes received
pass it (chunked bodies); the rest is never read. A body within the cap is handed on whole
(every route reads its whole body anyway).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refundable.core import limits
from refundable.entrypoints.api.problems import problem_body, problem_response

# The routes whose bodies may be larger than the default (a batch), by path prefix.
LARGER: tuple[tuple[str, int], ...] = (("/v1/usage_events", limits.MAX_BATCH_BODY_BYTES),)


def cap_of(path: str) -> int:
    for prefix, cap in LARGER:
        if path == prefix:
            return cap
    return limits.MAX_REQUEST_BODY_BYTES


class BodyCap:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        cap = cap_of(scope["path"])
        announced = _content_length(scope)
        if announced is not None and announced > cap:
            await _refuse(scope, send, cap)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([message]), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > cap:
                await _refuse(scope, send, cap)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, cap: int) -> None:
    request_id = scope.get("state", {}).get("request_id")
    body = problem_body(
        "input_too_large",
        413,
        f"the request body is larger than {cap:,} bytes",
        scope["path"],
        where="body",
        allowed=f"a body of at most {cap:,} bytes",
        limit=cap,
        request_id=request_id,
    )
    response = problem_response(body, {"Connection": "close"})
    await response(scope, _replay([]), send)
