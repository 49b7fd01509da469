"""Structured logs: one JSON object per line, and a request id on every request.

A request keeps the ``X-Request-Id`` it came with (when it is a sane token) or gets a new one;
the id goes back in the response header, into every problem document, and into the one access
log line written per request (method, path, route, status, duration, tenant).
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refundable.entrypoints.api.fresh import fresh_id

REQUEST_ID = "x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_ACCESS = logging.getLogger("refundable.access")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        body.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging configuration: everything as JSON lines on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "refundable": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }


class RequestIds:
    """ASGI middleware: the request id in and out, and one access log line per request."""

    def __init__(self, app: ASGIApp, observe: Any = None) -> None:
        self.app = app
        self.observe = observe  # callable(scope, status, seconds) for metrics, or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID.encode(), b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else fresh_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._done(scope, request_id, status[0], time.perf_counter() - started)

    def _done(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        if self.observe is not None:
            self.observe(scope, status, seconds)
        if _ACCESS.isEnabledFor(logging.INFO):
            route = scope.get("route")
            principal = scope.get("state", {}).get("principal")
            _ACCESS.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": getattr(route, "path", None),
                    "status": status,
                    "ms": round(seconds * 1000, 3),
                    "tenant": getattr(principal, "tenant_id", None),
                },
            )
