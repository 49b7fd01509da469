"""Tenant commands: register a business, publish a version of its policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from refundable.core import limits
from refundable.service.commands.base import Command, bad


@dataclass(frozen=True, slots=True)
class PublishPolicy(Command):
    """Publish a version of a tenant's policy. The first version also registers the tenant
    (``name``); ``scenarios`` (scenario-file text), when given, must all pass. Immutable once
    published: the same text again is a replay, another text for a published version is
    refused."""

    tenant_id: str
    idempotency_key: str
    text: str
    name: str = ""
    notified_on: date | None = None
    scenarios: str | None = None
    file: str = "<policy>"
    # When customers are told (default: at publication; a past instant means the business told
    # them itself). ``material``: the publisher declares the change material (ADR 0050).
    notified_at: datetime | None = None
    material: bool = False

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        for field_name in ("text", "scenarios"):
            value = getattr(self, field_name)
            if value is None and field_name == "scenarios":
                continue
            if not isinstance(value, str) or len(value.encode()) > limits.MAX_DOCUMENT_BYTES:
                raise bad(
                    f"PublishPolicy.{field_name}",
                    value,
                    f"a document of at most {limits.MAX_DOCUMENT_BYTES:,} bytes",
                )
        if self.notified_on is not None and not isinstance(self.notified_on, date):
            raise bad("PublishPolicy.notified_on", self.notified_on, "a date")
        if not isinstance(self.file, str) or len(self.file) > limits.MAX_TEXT_LENGTH:
            raise bad("PublishPolicy.file", self.file, "a short file name")
