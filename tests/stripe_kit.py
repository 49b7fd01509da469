"""Stripe-format webhook events signed as Stripe signs them (HMAC-SHA256 of
"timestamp.body" with the endpoint's secret), for the gateway-callback tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SECRET = "whsec_test_9f8e7d6c5b4a"


def signed(event: dict[str, Any], secret: str = SECRET, age_s: int = 0) -> tuple[bytes, str]:
    body = json.dumps(event)
    ts = int(time.time()) - age_s
    mac = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), f"t={ts},v1={mac}"


def event(event_id: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
            "api_version": "2024-06-20", "data": {"object": obj}}  # fmt: skip
