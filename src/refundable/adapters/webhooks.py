"""Outbound webhook deliveries over HTTP (httpx), the ``WebhookSender`` port.

The worker signs (Standard Webhooks) and decides what an answer means; this adapter only
POSTs, with a short timeout and no redirects (a redirect could carry a signed body somewhere
the business never registered). Connection errors and timeouts raise ``httpx`` errors, which
the worker records and retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from refundable.service.ports import WebhookResponse


@dataclass(frozen=True, slots=True)
class HttpWebhookSender:
    timeout_s: float = 10.0

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> WebhookResponse:
        answer = httpx.post(url, headers=dict(headers), content=body, timeout=self.timeout_s,
                            follow_redirects=False)  # fmt: skip
        return WebhookResponse(answer.status_code, answer.text[:200])
