"""In a real browser: a policy author (MyProtektor's admin) uploads a new version of the
policy as a file with an effective date 9 days away; clause 11 promises customers 30 days'
notice of a material change, so the page shows the refusal and its explanation and nothing is
published. The same file with an effective date past the notice is published and listed."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from refundable.config import shipped_policies_dir
from refundable.entrypoints.web.seed import DEMO_PASSWORD


def test_a_policy_author_is_refused_inside_the_notice_then_publishes(  # type: ignore[no-untyped-def]
    live, page: Page, shoot, tmp_path: Path
) -> None:
    text = (shipped_policies_dir() / "myprotektor.yaml").read_text()
    text = text.replace('version: "2.0.0"', 'version: "2.1.0"', 1)
    draft = tmp_path / "myprotektor-2.1.0.yaml"
    draft.write_text(text.replace("    value: 8\n", "    value: 6\n", 1))  # material: a threshold
    page.goto(live.url + "/console/login")
    page.select_option("#tenant", "myprotektor")
    page.fill("#email", "admin@myprotektor.example")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Policy")
    upload = page.get_by_test_id("upload")
    upload.locator("input[name=file]").set_input_files(str(draft))
    upload.locator("input[name=effective_from]").fill("2026-06-10")  # the clock: 2026-06-01
    upload.get_by_role("button", name="Publish").click()
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("30-day notice")
    expect(error).to_contain_text("clause 11")
    expect(error).to_contain_text("on or after 2026-07-02")
    expect(page.get_by_test_id("versions")).not_to_contain_text("2.1.0")
    shoot(page, "console-policy-refused")
    upload = page.get_by_test_id("upload")
    upload.locator("input[name=file]").set_input_files(str(draft))
    upload.locator("input[name=effective_from]").fill("2026-07-15")
    upload.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/console/policy\?published=2\.1\.0$"))
    expect(page.get_by_test_id("published")).to_contain_text("2.1.0")
    expect(page.get_by_test_id("versions")).to_contain_text("2026-07-15")
