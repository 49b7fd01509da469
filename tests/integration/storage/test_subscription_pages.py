"""The tenant's subscriptions a page at a time (``GET /v1/subscriptions``), on the three
stores: in id order after the cursor, filtered by billing state, never another tenant's."""

from __future__ import annotations

from lifecycle_support import CONEK_PLANS, START, define_plans, open_policy_tenant
from refundable.billing.events import CancelMode
from refundable.bootstrap import App
from refundable.service import commands as c


def test_subscriptions_page_by_id_and_filter_by_state(any_app: App) -> None:
    app = any_app
    tenant, other = open_policy_tenant(app, "conek"), open_policy_tenant(app, "conek")
    for t in (tenant, other):
        define_plans(app, t, CONEK_PLANS)
    for n in (4, 1, 3, 0, 2):
        app.bus.handle(c.Subscribe(tenant, f"k{n}", f"S{n}", f"C{n}", "growth", START))
    app.bus.handle(c.Subscribe(other, "k9", "S9", "C9", "growth", START))
    app.bus.handle(c.CancelSubscription(tenant, "cancel", "S3", START, CancelMode.at_period_end))
    reads = app.subscriptions
    seen: list[str] = []
    after = None
    while True:
        page = reads.page(tenant, after=after, limit=2)
        seen += [r.subscription_id for r in page.items]
        if not page.has_more:
            break
        after = seen[-1]
    assert seen == ["S0", "S1", "S2", "S3", "S4"]  # S9 is the other tenant's
    ending = reads.page(tenant, after=None, limit=10, state="cancel_pending")
    assert [r.subscription_id for r in ending.items] == ["S3"] and not ending.has_more
    assert [r.subscription_id for r in reads.page(tenant, after="S2", limit=10,
                                                  state="active").items] == ["S4"]  # fmt: skip
