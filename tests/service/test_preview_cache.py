"""The previewer's tenant cache (ADR 0059, 0068): a version published in this process is
used at once once the entry is forgotten (as the API and console do after publishing); a
stale entry is still answered from, while one background read refreshes it."""

from __future__ import annotations

import threading

from fakes import TENANT, acme_policy_text, memory_app
from refundable.service import commands as c
from refundable.service.preview import Previewer

REQUEST = {
    "requested_at": "2026-03-01T10:00:00+02:00", "reason": "duplicate_charge",
    "charge": {"kind": "subscription", "amount": "100.00", "currency": "ZAR",
               "charged_at": "2026-02-27T10:00:00+02:00"},
}  # fmt: skip


def _publish_second(app) -> None:  # type: ignore[no-untyped-def]
    text = acme_policy_text().replace('version: "2025-10-25"', 'version: "2026-02-01"', 1)
    text = text.replace("effective_from: 2025-10-25", "effective_from: 2026-02-01", 1)
    app.bus.handle(c.PublishPolicy(TENANT, "second", text))


def test_a_version_published_here_is_used_once_the_entry_is_forgotten() -> None:
    app = memory_app()
    previewer = Previewer(app.bus.uow_factory, app.catalog, ttl=3600)
    assert previewer.preview(TENANT, REQUEST).policy_version == "2025-10-25"
    _publish_second(app)
    assert previewer.preview(TENANT, REQUEST).policy_version == "2025-10-25"  # cached
    previewer.forget(TENANT)
    assert previewer.preview(TENANT, REQUEST).policy_version == "2026-02-01"


def test_a_stale_entry_answers_while_one_background_read_refreshes_it() -> None:
    app = memory_app()
    reads = []
    factory = app.bus.uow_factory

    def counting():  # type: ignore[no-untyped-def]
        reads.append(threading.current_thread().name)
        return factory()

    def settle() -> None:
        for thread in threading.enumerate():
            if thread.name.startswith("preview-refresh-"):
                thread.join(timeout=30)

    previewer = Previewer(counting, app.catalog, ttl=0)  # every entry is stale at once
    assert previewer.preview(TENANT, REQUEST).policy_version == "2025-10-25"
    assert reads[0] == "MainThread" and previewer.is_warm(TENANT)  # the first read blocks
    settle()
    _publish_second(app)
    reads.clear()
    stale = previewer.preview(TENANT, REQUEST)  # answered from the stale entry at once
    assert stale.policy_version == "2025-10-25"
    settle()
    assert reads and all(name.startswith("preview-refresh-") for name in reads)
    assert previewer.preview(TENANT, REQUEST).policy_version == "2026-02-01"
