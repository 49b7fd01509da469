"""Helpers of the console and portal tests: a browser-like client of the web app, its CSRF
token, signing in, and a mailer that keeps what it was asked to send."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from refundable.bootstrap import App
from refundable.config import Settings
from refundable.entrypoints.web import build_web
from refundable.entrypoints.web.seed import DEMO_PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"(https?://\S+/portal/link\?token=\S+)")


@dataclass
class CaughtMail:
    """The ``Mailer`` port, keeping messages instead of sending them."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        self.sent.append((to, subject, text))

    def link_for(self, to: str) -> str:
        texts = [text for addr, _, text in self.sent if addr == to]
        assert texts, f"no mail to {to}"
        found = _LINK.search(texts[-1])
        assert found is not None, texts[-1]
        return found.group(1)


def client(app: App, data_dir: Path, mailer: CaughtMail | None = None) -> TestClient:
    return TestClient(build_web(app, Settings(data_dir=data_dir), mailer))


def csrf(c: TestClient, path: str) -> str:
    """Open ``path`` (a page with a form) and return the token its forms carry."""
    page = c.get(path)
    found = _CSRF.search(page.text)
    assert found is not None, f"{path} has no form token"
    return found.group(1)


def sign_in(c: TestClient, tenant: str, email: str, password: str = DEMO_PASSWORD) -> int:
    token = csrf(c, "/console/login")
    form = {"csrf_token": token, "tenant": tenant, "email": email, "password": password}
    return c.post("/console/login", data=form, follow_redirects=False).status_code


def portal_sign_in(c: TestClient, mail: CaughtMail, tenant: str, email: str) -> int:
    """Ask for a link, open it, press the button: the status of the final POST."""
    token = csrf(c, "/portal/sign-in")
    c.post("/portal/sign-in", data={"csrf_token": token, "tenant": tenant, "email": email})
    link = mail.link_for(email)
    page = c.get(link)
    redeem = {"csrf_token": _CSRF.search(page.text).group(1), "token": link.split("token=")[1]}  # type: ignore[union-attr]
    return c.post("/portal/link", data=redeem, follow_redirects=False).status_code


def without_token(html: str) -> str:
    """The page less its CSRF token (random letters and digits, sent in ``hx-headers``)."""
    found = re.search(r"hx-headers='\{\"[^\"]+\": \"([^\"]+)\"\}'", html)
    assert found is not None  # every page of the portal carries one
    return html.replace(found.group(1), "")
