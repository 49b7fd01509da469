"""The console's policy upload (memory store, MyProtektor as the tenant): a draft is checked
with every problem at its line, a material change inside the 30-day notice of clause 11 is
refused with the NoticeTooShort explanation on the page and nothing published, a change with
enough notice is published, and only an admin publishes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fakes import memory_app
from refundable.config import shipped_policies_dir
from refundable.entrypoints.web import seed_demo_logins
from refundable.service import commands as c
from webpages import client, csrf, sign_in

MP = "myprotektor"
ORIGINAL = (shipped_policies_dir() / "myprotektor.yaml").read_text()


def changed(version: str) -> str:
    """MyProtektor with a material change (the outage threshold) under a new version name."""
    text = ORIGINAL.replace('version: "2.0.0"', f'version: "{version}"', 1)
    assert "    value: 8\n" in text
    return text.replace("    value: 8\n", "    value: 6\n", 1)


@pytest.fixture(scope="module")
def app():  # type: ignore[no-untyped-def]
    app = memory_app()  # clock at 2026-03-01
    app.bus.handle(c.PublishPolicy(MP, "publish-mp", ORIGINAL, name="MyProtektor"))
    seed_demo_logins(app, tenants=[MP])
    return app


def versions(app) -> list[str]:  # type: ignore[no-untyped-def]
    with app.bus.uow_factory() as uow:
        return [v.version for v in uow.repositories(MP).tenants.versions(MP)]


def form(c, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = c.get("/console/policy").text
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', page)
    assert nonce is not None
    return {"csrf_token": csrf(c, "/console/policy"), "nonce": nonce.group(1), **fields}


def test_a_material_change_inside_the_notice_is_refused_then_published_with_notice(  # type: ignore[no-untyped-def]
    app, tmp_path: Path
) -> None:
    c = client(app, tmp_path)
    assert sign_in(c, MP, f"admin@{MP}.example") == 303
    early = form(c, action="publish", text=changed("2.1.0"), effective_from="2026-03-10")
    refused = c.post("/console/policy/versions", data=early)
    assert refused.status_code == 409 and 'data-testid="error"' in refused.text
    assert "30-day notice" in refused.text and "clause 11" in refused.text
    assert "on or after 2026-04-01" in refused.text  # 30 full days after being told
    # when customers were told, in the tenant's local time, and the field the author sets
    error = refused.text.split('data-testid="error"')[1].split("<form")[0]
    assert "told on 2026-03-01 11:00 SAST" in error and "notified_on" in error
    assert "notified_at" not in error and "+02:00" not in error
    assert "value: 6" in refused.text  # the author's text is kept in the form
    assert versions(app) == ["2.0.0"]
    late = form(c, action="publish", text=changed("2.1.0"), effective_from="2026-04-15")
    done = c.post("/console/policy/versions", data=late, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("published=2.1.0")
    assert versions(app) == ["2.0.0", "2.1.0"]
    page = c.get(done.headers["location"]).text
    assert 'data-testid="published"' in page and "scheduled" in page


def test_an_uploaded_file_is_checked_with_every_problem_at_its_line(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, MP, f"agent@{MP}.example") == 303
    broken = ORIGINAL.replace("currency: ZAR\n", "currency: 12\n", 1)
    line = ORIGINAL.splitlines().index("currency: ZAR") + 1
    files = {"file": ("mp-draft.yaml", broken.encode(), "text/yaml")}
    shown = c.post("/console/policy/versions", data=form(c, action="check"), files=files)
    assert shown.status_code == 422 and 'data-testid="error"' in shown.text
    assert f"mp-draft.yaml:{line}" in shown.text or f"draft.yaml:{line}" in shown.text
    ok = c.post("/console/policy/versions", data=form(c, action="check", text=ORIGINAL))
    assert ok.status_code == 200 and 'data-testid="checked"' in ok.text


def test_only_an_admin_publishes(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, MP, f"agent@{MP}.example") == 303
    assert ">Publish</button>" not in c.get("/console/policy").text
    forged = form(c, action="publish", text=changed("2.2.0"), effective_from="2026-06-01")
    assert c.post("/console/policy/versions", data=forged).status_code == 403
    assert "2.2.0" not in versions(app)


def test_a_bad_effective_date_is_named(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, MP, f"admin@{MP}.example") == 303
    bad = form(c, action="publish", text=changed("2.3.0"), effective_from="next week")
    shown = c.post("/console/policy/versions", data=bad)
    assert shown.status_code == 422 and "effective_from" in shown.text
    assert "2.3.0" not in versions(app)


def test_every_problem_of_a_draft_is_listed_once(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = client(app, tmp_path)
    assert sign_in(c, MP, f"agent@{MP}.example") == 303
    broken = ORIGINAL.replace("currency: ZAR\n", "currency: ZZZ\n", 1)
    broken = broken.replace("timezone:", "timezonex:", 1)
    shown = c.post("/console/policy/versions", data=form(c, action="check", text=broken))
    assert shown.status_code == 422
    error = shown.text.split('data-testid="error"')[1].split("<form")[0]
    problems = re.findall(r"<li>(.*?)</li>", error)
    assert len(problems) == 3 and len(set(problems)) == 3, problems
    assert "3 problems:" in error
    assert all(error.count(p) == 1 for p in problems)  # none repeated as the headline
