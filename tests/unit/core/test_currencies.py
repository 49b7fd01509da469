"""The ISO-4217 table comes from the maintained lists: every code in use with its minor unit,
recently withdrawn codes for refunds of older charges, and a clear error for the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from refundable.core.currencies import MINOR_UNITS, table
from refundable.core.errors import CurrencyError, InputError
from refundable.core.limits import CURRENCY_WITHDRAWN_GRACE_MONTHS
from refundable.core.money import FxRate, Money, check_currency
from refundable.policy.requests import parse_request


@pytest.mark.parametrize(
    ("code", "minor"),
    [
        ("ZAR", 2),
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("IQD", 3),
        ("CLF", 4),
        ("UYW", 4),
        ("XCG", 2),
    ],
)
def test_minor_units_come_from_the_iso_list(code, minor):
    assert MINOR_UNITS[code] == minor
    assert Money.of("1", code).minor_units == minor


def test_the_table_holds_every_current_code_not_a_hand_picked_few():
    # The hand-typed table had 62 codes; ISO list one has about 165 with a minor unit.
    assert len(MINOR_UNITS) > 160
    assert {"AFN", "ALL", "DZD", "AOA", "XCD", "SLE", "VES"} <= set(MINOR_UNITS)


def test_bgn_is_accepted_with_two_minor_units_for_charges_made_before_the_euro():
    assert MINOR_UNITS["BGN"] == 2
    assert table().withdrawn["BGN"].withdrawn_on == "2026-01"
    assert Money.of("10.005", "BGN").round() == Money.of("10.01", "BGN")


def test_a_code_withdrawn_before_the_grace_period_is_refused_naming_when():
    assert CURRENCY_WITHDRAWN_GRACE_MONTHS == 24
    with pytest.raises(CurrencyError) as caught:
        Money.of("100.00", "HRK")
    error = caught.value
    assert error.code == "currency_error"
    assert error.where == "amount.currency"
    assert "HRK (Kuna, Croatia) was withdrawn from ISO 4217 in 2023-01" in error.message
    assert "successor" in (error.allowed or "")


def test_a_long_withdrawn_code_is_refused_too():
    with pytest.raises(CurrencyError, match=r"DEM .*withdrawn .* in 2002-03"):
        check_currency("DEM")


@pytest.mark.parametrize("code", ["XAU", "XDR", "XXX", "XTS"])
def test_codes_without_a_minor_unit_are_not_money(code):
    with pytest.raises(CurrencyError, match="has no minor unit"):
        check_currency(code, "charge.currency")


def test_a_lower_case_code_gets_a_hint():
    with pytest.raises(CurrencyError, match="did you mean 'ZAR'"):
        check_currency("zar")


@pytest.mark.parametrize("code", ["ABC", "", "ZARR", 840, None])
def test_unknown_codes_are_refused_with_what_is_allowed(code):
    with pytest.raises(CurrencyError) as caught:
        check_currency(code, "fx.base")
    assert caught.value.where == "fx.base"
    assert "ISO-4217 code in use" in (caught.value.allowed or "")


def test_an_unbounded_code_is_not_echoed_whole():
    with pytest.raises(CurrencyError) as caught:
        check_currency("Q" * 10_000)
    assert len(str(caught.value)) < 400


def test_rounding_follows_each_currencys_minor_unit():
    assert Money(Decimal("1.0005"), "BHD").round().amount == Decimal("1.001")
    assert Money(Decimal("12.5"), "JPY").round().amount == Decimal("13")
    assert Money(Decimal("0.00005"), "CLF").round().amount == Decimal("0.0001")
    assert Money.from_minor(12345, "KWD") == Money.of("12.345", "KWD")


def test_fx_rates_accept_the_new_codes():
    rate = FxRate.parse("BGN/EUR", "0.51129")
    assert Money.of("100.00", "BGN").convert(rate).round() == Money.of("51.13", "EUR")


def test_a_request_in_a_withdrawn_currency_says_when_it_was_withdrawn():
    request = {
        "policy": "acme",
        "requested_at": "2026-03-02T10:00:00+02:00",
        "reason": "duplicate_charge",
        "charge": {
            "kind": "subscription",
            "amount": "100.00",
            "currency": "HRK",
            "charged_at": "2026-03-01T10:00:00+02:00",
        },
    }
    with pytest.raises(InputError, match=r"HRK \(Kuna, Croatia\) was withdrawn .* in 2023-01"):
        parse_request(request)
    request["charge"]["currency"] = "BGN"  # type: ignore[index]
    assert parse_request(request).charge is not None
