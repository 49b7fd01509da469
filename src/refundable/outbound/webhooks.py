"""A business's webhook endpoint: where its case events are delivered, signed with its
secret (Standard Webhooks: ``whsec_`` + base64). Pure record and checks; ADR 0057."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from refundable.core.errors import InputError
from refundable.core.limits import echo

MAX_URL_LENGTH = 2000
ALL_EVENTS = "*"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    tenant_id: str
    endpoint_id: str
    url: str
    secret: str  # whsec_<base64 of 24-64 random bytes>
    event_types: tuple[str, ...]  # ("*",) for every event
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.event_types or event_type in self.event_types


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{echo(url)} is not a webhook URL",
            where="url",
            allowed=f"an http(s) URL with a host, at most {MAX_URL_LENGTH} characters",
        )
    return url


def check_secret(secret: str) -> str:
    body = secret.removeprefix("whsec_")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not secret.startswith("whsec_") or not 24 <= len(raw) <= 64:
        raise InputError(
            "the webhook secret is not a Standard Webhooks secret",
            where="secret",
            allowed="whsec_ followed by the base64 of 24 to 64 random bytes",
        )
    return secret


def check_event_types(types: tuple[str, ...]) -> tuple[str, ...]:
    if not types or any(not t or len(t) > 64 or (not t.replace(".", "").replace("_", "").isalnum()
                        and t != ALL_EVENTS) for t in types):  # fmt: skip
        raise InputError(
            f"event types {echo(', '.join(types))} are not event names",
            where="event_types",
            allowed='"*" or names such as case.decided, payout.settled',
        )
    return tuple(sorted(set(types)))
