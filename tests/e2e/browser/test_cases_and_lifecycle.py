"""In a real browser: an agent works the queue and approves a case in review; a customer
cancels their subscription (seeing what it does first), asks for a refund through the
policy's form and follows the case to paid."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from refundable.entrypoints.web.seed import DEMO_PASSWORD
from refundable.service import commands as c


def test_an_agent_works_the_queue_and_approves_a_case(live, page: Page, shoot) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.url + "/console/login")
    page.select_option("#tenant", "kero")
    page.fill("#email", "agent@kero.example")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Cases")
    expect(page.get_by_test_id("queue")).to_contain_text("case-k1")
    shoot(page, "console-queue")
    page.click("text=case-k1")
    expect(page.get_by_test_id("case-state")).to_contain_text("in review")
    page.locator("input[name^=factor-]").first.check()
    shoot(page, "console-case")
    page.click("button[value=approve]")
    expect(page.get_by_test_id("case-state")).to_contain_text("paying")
    page.click("nav >> text=Reports")
    expect(page.get_by_test_id("chart").first).to_be_visible()
    shoot(page, "console-reports")


def test_a_customer_cancels_then_asks_for_a_refund_and_follows_it_to_paid(  # type: ignore[no-untyped-def]
    live, page: Page, shoot
) -> None:
    email = "demo-active@customers.conek.example"
    page.goto(live.url + "/portal/sign-in")
    page.select_option("#tenant", "conek")
    page.fill("#email", email)
    page.click("button[type=submit]")
    mail = live.inbox.wait_for(email)
    link = re.search(r"http\S+/portal/link\?token=\S+", mail.get_payload(decode=True).decode())
    assert link is not None
    page.goto(link.group(0))
    page.click("text=Sign in to your account")
    page.click("text=Cancel subscription")
    expect(page.get_by_test_id("cancel-at_period_end")).to_contain_text("Access ends")
    shoot(page, "portal-cancel")
    page.get_by_test_id("cancel-at_period_end").locator("button").click()
    expect(page.get_by_test_id("cancel-at").first).to_be_visible()
    page.click("text=Ask for a refund")
    page.select_option("#charge", "inv-2")
    page.select_option("#payment", "pay-2")
    page.select_option("#reason", "duplicate_charge")
    for box in page.locator("textarea[name^=answer-]").all():
        box.fill("charged twice for the same month")
    shoot(page, "portal-new-case")
    page.click("text=Send my request")
    expect(page.get_by_test_id("case-state")).to_contain_text("paying")
    case_id = page.url.rsplit("/", 1)[1]
    _pay_out(live, case_id)  # what the payout worker does
    page.reload()
    expect(page.get_by_test_id("case-state")).to_contain_text("paid")
    shoot(page, "portal-case")


def _pay_out(live, case_id: str) -> None:  # type: ignore[no-untyped-def]
    [msg] = [m for m in live.app.work.outbox("conek")
             if m.kind == "payout" and m.payload.get("case_id") == case_id]  # fmt: skip
    bus, now = live.app.bus, live.app.clock.now()
    bus.handle(c.PayRefund("conek", f"rf-{case_id}", f"rf-{case_id}", msg.payload["payment_id"],
                           msg.payload["decision_id"], now))  # fmt: skip
    bus.handle(c.RecordCasePaid("conek", f"paid-{case_id}", case_id, f"rf-{case_id}", now))
