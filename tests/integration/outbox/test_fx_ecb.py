"""Exchange rates from the ECB's daily reference rates, served by a local fake of the ECB's
address (no network): cross rates through the euro, the source and reference date on every
rate, a cached document, the refusals (unknown currency, stale, unreadable), the selection by
configuration, and a cross-currency payout on SQLite and PostgreSQL that records them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from fakes import T0, customer, decide, duplicate_charge, zar
from local_http import serving
from outbox_kit import drain, sandbox, senders, write
from refundable.adapters.payments.ecb_fx import EcbFxRates
from refundable.adapters.senders import fx_rates
from refundable.bootstrap import App
from refundable.config import Settings
from refundable.core.errors import ConfigurationError, FxRateMissing
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.service import commands as c
from refundable.service.outbox import Senders
from refundable.service.outbox_kinds import payout_message

DOC = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
  xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube><Cube time="2026-03-03">
    <Cube currency="USD" rate="1.0500"/><Cube currency="ZAR" rate="19.4250"/>
    <Cube currency="GBP" rate="0.8400"/>
  </Cube></Cube>
</gesmes:Envelope>"""
AT = datetime(2026, 3, 4, 9, tzinfo=UTC)


@dataclass
class Feed:
    body: bytes = DOC
    status: int = 200
    hits: int = 0


@contextmanager
def ecb_server() -> Iterator[tuple[Feed, str]]:
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed.hits += 1
            self.send_response(feed.status)
            self.send_header("content-type", "text/xml")
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *args: Any) -> None:
            return None

    with serving(Handler) as base:
        yield feed, base + "/eurofxref-daily.xml"


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cross_rates_name_their_source_and_date_and_are_cached() -> None:
    ticks = Ticks()
    with ecb_server() as (feed, url):
        ecb = EcbFxRates(url, monotonic=ticks)
        usd_zar = ecb.rate("USD", "ZAR", AT)
        assert usd_zar.rate == (Decimal("19.4250") / Decimal("1.0500")).quantize(Decimal("1E-8"))
        assert usd_zar.source == "ECB euro reference rates of 2026-03-03: EUR/USD=1.0500, " \
                                 "EUR/ZAR=19.4250"  # fmt: skip
        assert (
            usd_zar.as_of is not None and usd_zar.as_of.isoformat() == "2026-03-03T16:00:00+01:00"
        )
        assert ecb.rate("EUR", "GBP", AT).rate == Decimal("0.84000000")
        assert feed.hits == 1  # one document for both conversions
        ticks.now += 3601  # past the hour: fetched again
        feed.status = 503
        zar_usd = ecb.rate("ZAR", "USD", AT)
        assert zar_usd.rate == (Decimal("1.0500") / Decimal("19.4250")).quantize(Decimal("1E-8"))
        assert feed.hits == 2  # it asked; the ECB was down; the last good document served
        with pytest.raises(FxRateMissing, match="more than 5 days older"):
            ecb.rate("USD", "ZAR", AT + timedelta(days=9))
        with pytest.raises(FxRateMissing, match="no euro rate for JPY"):
            ecb.rate("USD", "JPY", AT)


def test_an_unreadable_document_is_refused_not_guessed() -> None:
    with ecb_server() as (feed, url):
        feed.body = b"<html>maintenance</html>"
        with pytest.raises(FxRateMissing, match="could not be read"):
            EcbFxRates(url).rate("USD", "ZAR", AT)
        feed.body, feed.status = DOC, 404
        with pytest.raises(FxRateMissing, match="could not be read"):
            EcbFxRates(url).rate("USD", "ZAR", AT)


def test_the_source_is_chosen_by_configuration() -> None:
    assert isinstance(fx_rates(Settings(fx_source="ecb", fx_url="http://x.test/d.xml")),
                      EcbFxRates)  # fmt: skip
    fixed = fx_rates(Settings(fx_rates="USD/ZAR=18.50"))
    assert fixed.rate("USD", "ZAR", AT).rate == Decimal("18.50")
    with pytest.raises(ConfigurationError, match="REFUNDABLE_FX_SOURCE"):
        fx_rates(Settings(fx_source="oracle"))


def test_a_cross_currency_payout_records_the_ecb_rate(
    app: App, tenant: str, tmp_path: Path
) -> None:
    """MyProtektor 8.2: a ZAR refund of a USD payment, converted at the ECB's rate when the
    payout runs, the rate's source and date kept on the payout and on the ledger entry."""
    customer(app, tenant, "C1")
    app.bus.handle(c.RecordCharge(tenant, "chg", "inv", "C1", Money.of("10.00", "USD"), T0))
    app.bus.handle(c.RecordPayment(tenant, "pay", "pay-usd", "C1", Money.of("10.00", "USD"),
                                   Method.card, "stripe", T0))  # fmt: skip
    decide(app, tenant, "d-usd", "C1", duplicate_charge("185.00"))
    write(app, tenant, payout_message("m-usd", case_id="case-usd", customer_id="C1",
                                      payment_id="pay-usd", amount=zar("185.00"),
                                      decision_id="d-usd", at=T0))  # fmt: skip
    gw = sandbox(tmp_path)
    with ecb_server() as (_, url):
        s = senders(gw)
        drain(app, Senders(gw, s.mailer, s.webhooks, EcbFxRates(url)), AT, tenant)
    assert app.outbox is not None
    [payout] = app.outbox.payouts(tenant)
    assert payout.state.value == "settled" and payout.fx is not None
    expected = (Decimal("185.00") * Decimal("1.0500") / Decimal("19.4250")).quantize(
        Decimal("0.01")
    )
    assert payout.amount == Money.of(expected, "USD")
    assert payout.fx.source.startswith("ECB euro reference rates of 2026-03-03")
    [entry] = [e for e in app.queries.journal(tenant) if e.kind.value == "refund"]
    assert entry.meta["fx_source"] == payout.fx.source
