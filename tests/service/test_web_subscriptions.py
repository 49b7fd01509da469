"""The portal's subscription pages on the in-memory store (Conek's lifecycle): cancel online
with what it does shown first, undo it, change plan with the price difference shown first;
only the customer's own subscriptions; the console shows both timelines and the history."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.time import UTC, FixedClock
from refundable.entrypoints.web import seed_demo_logins
from refundable.service import commands as c
from refundable.service.subscription_seed import seed_demo_subscriptions
from webpages import CaughtMail, client, csrf, portal_sign_in, sign_in

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ACTIVE = "demo-active@customers.conek.example"
_NONCE = re.compile(r'name="nonce" value="([0-9a-f]+)"')


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    app = bootstrap(MEMORY_URL, FixedClock(NOW))
    text = (shipped_policies_dir() / "conek.yaml").read_text()
    app.bus.handle(c.PublishPolicy("conek", "publish", text, name="Conek"))
    seed_demo_subscriptions(app.bus, "conek", NOW)
    seed_demo_logins(app, tenants=["conek"])
    return app


def _portal(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    mail = CaughtMail()
    p = client(app, tmp_path, mail)
    assert portal_sign_in(p, mail, "conek", ACTIVE) == 303
    return p


def _confirm(p, page_path: str, **fields: str):  # type: ignore[no-untyped-def]
    page = p.get(page_path)
    nonce = _NONCE.search(page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf(p, page_path), "nonce": nonce, **fields}
    return p.post(page_path, data=form, follow_redirects=False)


def test_cancel_shows_what_happens_then_cancels_once_and_can_be_undone(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = _portal(app, tmp_path)
    home = p.get("/portal/")
    assert "Cancel subscription" in home.text and "demo-basic" in home.text
    page = p.get("/portal/subscriptions/demo-active/cancel")
    assert page.status_code == 200
    at_end = page.text.split('data-testid="cancel-at_period_end"')[1].split("</section>")[0]
    assert "Access ends" in at_end and "Your data" in at_end and "Confirm" in at_end
    immediate = page.text.split('data-testid="cancel-immediate"')[1].split("</section>")[0]
    assert "Not available now" in immediate  # Conek offers no immediate cancellation
    done = _confirm(p, "/portal/subscriptions/demo-active/cancel", mode="at_period_end")
    assert done.status_code == 303
    [rec] = app.subscriptions.of_customer("conek", "demo-active")
    assert rec.subscription.billing.cancel_at is not None
    assert 'data-testid="cancel-at"' in p.get("/portal/").text
    history = app.subscriptions.history("conek", "demo-active")
    assert history[-1].actor == "customer:demo-active"
    undo = p.post("/portal/subscriptions/demo-active/undo-cancel",
                  data={"csrf_token": csrf(p, "/portal/"), "nonce": "abc123"},
                  follow_redirects=False)  # fmt: skip
    assert undo.status_code == 303
    [rec] = app.subscriptions.of_customer("conek", "demo-active")
    assert rec.subscription.billing.cancel_at is None


def test_a_plan_change_shows_the_price_difference_first(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = _portal(app, tmp_path)
    page = p.get("/portal/subscriptions/demo-active/plan")
    pro = page.text.split('data-testid="plan-demo-pro"')[1].split("</section>")[0]
    assert "upgrade" in pro and "ZAR 150.00 more per month" in pro and "Confirm" in pro
    assert _confirm(p, "/portal/subscriptions/demo-active/plan", plan="demo-pro").status_code == 303
    [rec] = app.subscriptions.of_customer("conek", "demo-active")
    assert rec.subscription.plan.code == "demo-pro"


def test_a_customer_cannot_touch_another_customers_subscription(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = _portal(app, tmp_path)
    assert p.get("/portal/subscriptions/demo-past_due/cancel").status_code == 404
    form = {"csrf_token": csrf(p, "/portal/"), "nonce": "n1", "mode": "at_period_end"}
    refused = p.post("/portal/subscriptions/demo-past_due/cancel", data=form)
    assert refused.status_code == 404
    [rec] = app.subscriptions.of_customer("conek", "demo-past_due")
    assert rec.subscription.billing.cancel_at is None


def test_the_console_shows_both_timelines_and_the_history(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = client(app, tmp_path)
    assert sign_in(s, "conek", "agent@conek.example") == 303
    page = s.get("/console/customers/demo-cancel_pending")
    assert page.status_code == 200
    assert 'data-testid="cancel-at"' in page.text and 'data-testid="timeline"' in page.text
    assert "<td>Cancel</td>" in page.text  # the cancellation, in the subscription's history


def test_the_portal_names_the_accounts_in_words_and_the_statement_in_its_currency(
    app,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    home = _portal(app, tmp_path).get("/portal/").text
    wallet = home.split('data-testid="wallet"')[1].split("</table>")[0]
    statement = home.split('data-testid="statement"')[1].split("</table>")[0]
    assert "Balance due" in wallet and "receivable" not in wallet
    assert "receivable/" not in statement and "Balance due" in statement
    assert "ZAR 100.00" in statement and "ZAR -100.00" in statement  # the amounts' currency
    assert "Payment demo-active--pay" in statement and "payment payment" not in statement
    staff = client(app, tmp_path)
    assert sign_in(staff, "conek", "agent@conek.example") == 303
    console = staff.get("/console/customers/demo-active").text
    assert "Receivable (owed by the customer)" in console.split('data-testid="wallet"')[1]
