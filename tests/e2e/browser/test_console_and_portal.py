"""In a real browser (Debian's Chromium): an agent signs in, opens a customer and tries a
request on the policy page (htmx swaps the decision in); a customer asks for a sign-in link,
takes it from the mail the local SMTP server caught, signs in and sees their credits."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from refundable.entrypoints.web.seed import DEMO_PASSWORD


def test_an_agent_signs_in_and_works_the_console(live, page: Page, shoot) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.url + "/console/")
    expect(page).to_have_url(re.compile(r"/console/login$"))
    shoot(page, "console-login")
    page.select_option("#tenant", "conek")
    page.fill("#email", "agent@conek.example")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("who")).to_contain_text("agent@conek.example")
    page.click("text=shop-1")
    expect(page.get_by_test_id("lots")).to_contain_text("lot-0")
    expect(page.get_by_test_id("lots")).to_contain_text("2000 / 2000")
    shoot(page, "console-customer")
    page.click("text=Policy")
    expect(page.get_by_test_id("versions")).to_contain_text("in force")
    page.click("text=Decide (preview)")
    expect(page.get_by_test_id("outcome")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console/policy$"))  # swapped in, no page load
    shoot(page, "console-policy")
    page.fill("textarea[name=request]", "{{{")  # a 422: its problem is swapped in too
    page.click("text=Decide (preview)")
    expect(page.get_by_test_id("decision").get_by_test_id("error")).to_be_visible()
    expect(page.get_by_test_id("outcome")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/console/policy$"))
    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/console/login$"))


def test_a_customer_signs_in_by_an_emailed_link(live, page: Page, shoot) -> None:  # type: ignore[no-untyped-def]
    email = "shop-1@customers.conek.example"
    page.goto(live.url + "/portal/sign-in")
    page.select_option("#tenant", "conek")
    page.fill("#email", email)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("link-sent")).to_contain_text(email)
    mail = live.inbox.wait_for(email)
    link = re.search(r"http\S+/portal/link\?token=\S+", mail.get_payload(decode=True).decode())
    assert link is not None
    page.goto(link.group(0))
    page.click("text=Sign in to your account")
    expect(page.get_by_test_id("who")).to_contain_text(email)
    expect(page.get_by_test_id("lots")).to_contain_text("lot-1")
    shoot(page, "portal-home")
    page.goto(link.group(0))  # the same link again
    page.click("text=Sign in to your account")
    expect(page.get_by_test_id("error")).to_contain_text("already used")
