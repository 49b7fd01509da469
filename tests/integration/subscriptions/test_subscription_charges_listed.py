"""Every charge a subscription posts is a charge of its own in the charges API (issue 11's
cursor pagination): four renewals are four charges with four ids, a page of one walks all of
them in id order without skipping any, and each id reads back its own period's charge. All
were named after the subscription before, so the list showed one id four times and paging by
id skipped three."""

from __future__ import annotations

import pytest

from lifecycle_support import START, clocked_tenant, days, pay
from refundable.adapters.db.resource_queries import SqlResourceQueries
from refundable.bootstrap import App
from refundable.ledger.entries import EntryKind
from refundable.service import commands as c
from refundable.service.scheduled import advance_test_clock


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_each_renewal_is_its_own_charge_and_pages_walk_them_all(app: App) -> None:
    t = clocked_tenant(app, "myprotektor")
    app.bus.handle(c.Subscribe(t, "s1", "S1", "C1", "analyst", START))
    pay(app, t, "S1", "620.00", START, "p0")
    advance_test_clock(app.bus, app.work, t, "clock", START + days(95))
    posted = sorted(
        (e for e in app.queries.journal(t) if e.kind is EntryKind.charge),
        key=lambda e: e.effective_at,
    )
    assert len(posted) >= 4  # the first period and three renewals at least
    charges = SqlResourceQueries(app.db)
    listed = charges.charges(t, 100, None).items
    ids = [x.charge_id for x in listed]
    assert len(set(ids)) == len(posted) and ids == sorted(ids)
    walked, after = [], None
    while True:
        page = charges.charges(t, 1, after)
        walked += [x.charge_id for x in page.items]
        if not page.has_more:
            break
        after = page.items[-1].charge_id
    assert walked == ids
    for e in posted:
        one = charges.charge(t, e.ref or "")
        assert one is not None and one.entry_id == e.entry_id
        assert one.charged_at == e.effective_at and one.customer_id == "C1"
    assert {e.meta.get("subscription_id") for e in posted} == {"S1"}
