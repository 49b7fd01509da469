"""The API's periodic housekeeping (run by the serve loop), on SQLite and PostgreSQL:
idempotency records past their 24 h retention are deleted (and their keys usable afresh),
younger ones kept; the open-case gauges of /metrics are counted by the job, so a scrape reads
the last count instead of every open case."""

from __future__ import annotations

import re
from datetime import timedelta

from api_helpers import Keys, auth
from fastapi.testclient import TestClient

from refundable.bootstrap import App
from refundable.entrypoints.api.metrics import Snapshot
from refundable.entrypoints.api.state import housekeeping
from refundable.service import idempotency as idem


def test_records_past_their_retention_are_purged_and_younger_ones_kept(
    app: App, client: TestClient, tenant: str
) -> None:
    store = client.app.state.api.idempotency  # type: ignore[attr-defined]
    now = app.clock.now()
    ages = {"old-done": timedelta(hours=25), "old-stuck": timedelta(hours=30),
            "young": timedelta(hours=23), "fresh": timedelta(0)}  # fmt: skip
    for key, age in ages.items():
        assert store.claim(tenant, key, "f" * 64, now - age) is None
        if key != "old-stuck":  # a claim whose process died: never finished
            store.finish(tenant, key, 201, "{}", now - age)
    done = housekeeping(client.app.state.api)  # type: ignore[attr-defined]
    assert done["idempotency_purged"] >= 2
    for key in ("young", "fresh"):
        kept = store.claim(tenant, key, "f" * 64, now)
        assert kept is not None and kept.done, key
    for key in ("old-done", "old-stuck"):  # gone: claimed afresh, by another request
        assert store.claim(tenant, key, "0" * 64, now) is None, key
    verdict, _ = idem.begin(store, tenant, "young", "f" * 64, now)
    assert verdict is idem.Verdict.replay


def test_the_purge_goes_batch_by_batch_until_none_is_left(app: App, tenant: str) -> None:
    from refundable.entrypoints.api.state import stores_for

    store = stores_for(app)[1]
    now = app.clock.now()
    for n in range(7):
        store.claim(tenant, f"batch-{n}", "f" * 64, now - timedelta(days=2, minutes=n))
    calls: list[int] = []

    class Counting:
        def purge(self, before, limit):  # type: ignore[no-untyped-def]
            calls.append(limit)
            return store.purge(before, limit)

    assert idem.purge_expired(Counting(), now, batch=3) >= 7  # type: ignore[arg-type]
    assert len(calls) >= 3 and set(calls) == {3}  # 7 rows in batches of 3
    assert all(store.claim(tenant, f"batch-{n}", "0" * 64, now) is None for n in range(7))


def _open_cases(client: TestClient) -> float:
    text = client.get("/metrics").text
    found = re.search(r'^refundable_open_cases\{what="open"\} ([0-9.e+]+)$', text, re.M)
    assert found is not None, text
    return float(found.group(1))


def test_a_scrape_reads_the_last_count_and_the_job_counts_again(
    client: TestClient, keys: Keys
) -> None:
    before = _open_cases(client)
    h = auth(keys.agent)
    for path, body in (
        ("/v1/customers", {"id": "hk-c"}),
        ("/v1/charges", {"id": "hk-ch", "customer": "hk-c", "amount": "10.00",
                         "currency": "ZAR"}),
        ("/v1/payments", {"id": "hk-p", "customer": "hk-c", "amount": "10.00",
                          "currency": "ZAR", "method": "card", "provider": "stripe"}),
        ("/v1/cases", {"id": "hk-case", "customer": "hk-c", "subject": "charge",
                       "subject_id": "hk-ch", "reason": "duplicate_charge",
                       "payment": "hk-p"}),
    ):  # fmt: skip
        assert client.post(path, json=body, headers=h).status_code == 201, (path, body)
    assert _open_cases(client) == before  # the scrape did not count the cases again
    housekeeping(client.app.state.api)  # type: ignore[attr-defined]
    assert _open_cases(client) == before + 1


def test_a_snapshot_reads_again_only_when_refreshed_or_too_old() -> None:
    reads: list[int] = []
    now = [100.0]

    def read() -> dict[str, float]:
        reads.append(1)
        return {"open": float(len(reads))}

    snap = Snapshot(read, max_age_s=60, clock=lambda: now[0])
    assert snap() == {"open": 1.0} and snap() == {"open": 1.0} and len(reads) == 1
    assert snap.refresh() == {"open": 2.0} and snap() == {"open": 2.0}
    now[0] += 61  # no job refreshed it for a minute: the scrape reads itself
    assert snap() == {"open": 3.0} and len(reads) == 3
