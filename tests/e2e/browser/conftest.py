"""A live server for the browser tests: the API app (``create_app``, pages mounted) under
uvicorn on a free port over a temporary SQLite store with the four demo tenants, a local SMTP
server (aiosmtpd) that catches the portal's sign-in mail, and Debian's Chromium driven by
Playwright (one browser per session).

Chromium comes from the system package (``/usr/bin/chromium``; ``scripts/test`` installs it):
Playwright's own browser download is never used. A missing browser FAILS these tests.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, sync_playwright

from refundable.bootstrap import App, bootstrap
from refundable.cases.model import Subject
from refundable.config import Settings, shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.entrypoints.api.app import create_app
from refundable.entrypoints.web import seed_demo_logins
from refundable.ledger.lots import LotSource
from refundable.policy.facts import Reason
from refundable.service import commands as c
from refundable.service.seed import seed_demo_tenants
from refundable.service.subscription_seed import seed_demo_subscriptions

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the local SMTP server received."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, to: str, timeout_s: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for m in reversed(self.messages):
                if m["To"] == to:
                    return m
            time.sleep(0.05)
        raise AssertionError(f"no mail to {to} (got {[m['To'] for m in self.messages]})")


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    box = Inbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def demo_data(app: App) -> None:
    """A few customers with money and credits, so the pages have something to show."""
    seed_demo_tenants(app.bus, shipped_policies_dir())
    zar = Money.of("899.00", "ZAR")
    bus = app.bus
    bus.handle(c.RegisterCustomer("conek", "reg-shop-1", "shop-1"))
    bus.handle(c.RecordCharge("conek", "chg-1", "inv-1", "shop-1", zar, NOW - timedelta(days=3)))
    bus.handle(c.RecordPayment("conek", "pay-1", "pay-1", "shop-1", zar, Method.card, "stripe",
                               NOW - timedelta(days=3)))  # fmt: skip
    for n, (units, days) in enumerate(((500, 10), (2000, 1))):
        bus.handle(c.BuyCreditLot("conek", f"lot-{n}", f"lot-{n}", "shop-1", units,
                                  Money.of("150.00", "ZAR"), LotSource.purchase,
                                  NOW - timedelta(days=days)))  # fmt: skip
    seed_demo_subscriptions(bus, "conek", NOW - timedelta(days=5))
    charge = Money.of("100.00", "ZAR")
    bus.handle(c.RecordCharge("conek", "chg-2", "inv-2", "demo-active", charge,
                              NOW - timedelta(days=2)))  # fmt: skip
    bus.handle(c.RecordPayment("conek", "pay-2", "pay-2", "demo-active", charge, Method.card,
                               "stripe", NOW - timedelta(days=2)))  # fmt: skip
    usd = Money.of("1200.00", "USD")
    bus.handle(c.RecordCharge("kero", "chg-k1", "inv-k1", "K1", usd, NOW - timedelta(days=4)))
    bus.handle(c.RecordPayment("kero", "pay-k1", "pay-k1", "K1", usd, Method.card, "psp",
                               NOW - timedelta(days=4)))  # fmt: skip
    annual = {"charge": {"kind": "subscription", "billing": "annual"}}
    bus.handle(c.OpenCase("kero", "case-k1", "case-k1", "K1", Subject.charge, "inv-k1",
                          Reason.change_of_mind, NOW, "customer:K1", payment_id="pay-k1",
                          facts=annual))  # fmt: skip
    bus.handle(c.RegisterCustomer("kero", "reg-ms-1", "ms-1"))
    bus.handle(c.TopUpWallet("kero", "top-1", "top-1", "ms-1", Money.of("500.00", "ZAR"),
                             Method.eft, "bank", NOW - timedelta(days=2)))  # fmt: skip


@dataclass(frozen=True)
class Live:
    url: str
    app: App
    inbox: Inbox


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("live")
    settings = Settings(
        data_dir=data, db_url=f"sqlite:///{data / 'refundable.db'}", smtp_host="127.0.0.1",
        smtp_port=inbox.port, mail_from="portal@refundable.example",
    )  # fmt: skip
    app = bootstrap(settings, FixedClock(NOW))
    demo_data(app)
    seed_demo_logins(app)
    port = free_port()
    asgi = create_app(app, settings)  # the API with the pages mounted, as `serve` runs it
    server = uvicorn.Server(uvicorn.Config(asgi, "127.0.0.1", port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("the live server did not start")
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", app, inbox)
    server.should_exit = True
    thread.join(timeout=10)
    app.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise AssertionError(
            f"{CHROMIUM} is missing: run `apt-get install -y chromium` (scripts/test does)"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """``shoot(page, name)``: a full-page screenshot, also into ``--screenshots DIR``."""
    target = request.config.getoption("--screenshots")

    def take(page: Page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            (Path(target) / path.name).write_bytes(path.read_bytes())
        return path

    return take
