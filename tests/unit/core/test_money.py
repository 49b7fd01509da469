"""Strict Money: no floats, no mixed currencies, named rounding once, exact splits, explicit fx."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refundable.core.errors import CurrencyError, FxRateMissing, InputError
from refundable.core.money import FxRate, FxTable, Money, Rounding, total


def zar(amount: str) -> Money:
    return Money.of(amount, "ZAR")


# --- floats are refused ----------------------------------------------------------------------


def test_constructing_from_a_float_is_refused_with_the_field_named():
    with pytest.raises(InputError) as caught:
        Money.of(0.1, "ZAR", where="charge.amount")
    assert caught.value.code == "invalid_input"
    assert caught.value.where == "charge.amount"
    assert caught.value.message == "amount 0.1 is a float; floats lose cents"
    assert caught.value.allowed == 'a decimal string such as "499.00"'


def test_constructing_directly_from_a_float_is_refused():
    with pytest.raises(InputError, match="must be a Decimal, not float"):
        Money(0.1, "ZAR")  # type: ignore[arg-type]


def test_multiplying_by_a_float_is_refused():
    with pytest.raises(InputError, match=r"factor 1\.5 is a float"):
        zar("10.00") * 1.5
    with pytest.raises(InputError, match=r"factor 0\.5 is a float"):
        0.5 * zar("10.00")


def test_multiplying_by_a_decimal_or_int_keeps_full_precision():
    assert zar("10.00") * Decimal("0.333") == zar("3.33")
    assert 3 * zar("10.00") == zar("30.00")
    assert (zar("0.01") * Decimal("0.5")).amount == Decimal("0.005")


def test_a_boolean_is_not_an_amount():
    with pytest.raises(InputError, match="a boolean is not an amount"):
        Money.of(True, "ZAR")


def test_text_that_is_not_a_number_is_refused():
    with pytest.raises(InputError, match="'12,50' is not a decimal number"):
        Money.of("12,50", "ZAR")


# --- currencies ------------------------------------------------------------------------------


def test_adding_two_currencies_is_refused():
    with pytest.raises(CurrencyError) as caught:
        zar("1.00") + Money.of("1.00", "USD")
    assert caught.value.code == "currency_error"
    assert caught.value.message == "cannot add ZAR and USD"
    assert caught.value.allowed == "one currency; convert first with an explicit FxRate"


def test_subtracting_two_currencies_is_refused():
    with pytest.raises(CurrencyError, match="cannot subtract ZAR and EUR"):
        zar("1.00") - Money.of("1.00", "EUR")


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ordering_two_currencies_is_refused(op):
    usd = Money.of("1.00", "USD")
    with pytest.raises(CurrencyError, match="cannot compare ZAR and USD"):
        eval(f"a {op} b", {"a": zar("1.00"), "b": usd})


def test_equal_amounts_of_two_currencies_are_not_equal():
    assert zar("1.00") != Money.of("1.00", "USD")


@pytest.mark.parametrize("number", [0, Decimal(0), 0.0])
def test_comparing_with_a_bare_number_raises(number):
    with pytest.raises(TypeError, match="compare Money with Money, not with a bare number"):
        _ = zar("0.00") == number


def test_ordering_against_a_bare_number_raises():
    with pytest.raises(TypeError, match="cannot compare Money and int; use Money"):
        _ = zar("1.00") > 0


def test_adding_a_bare_number_raises():
    with pytest.raises(TypeError, match="cannot add Money and int"):
        _ = zar("1.00") + 1


def test_unknown_currency_is_refused_with_what_is_allowed():
    with pytest.raises(CurrencyError) as caught:
        Money.of("1.00", "RAND")
    assert caught.value.where == "amount.currency"
    assert caught.value.message == "unknown currency 'RAND'"
    assert caught.value.allowed == "an ISO-4217 code in use, such as ZAR, USD, EUR (upper case)"


def test_currency_codes_are_case_sensitive():
    with pytest.raises(CurrencyError, match="unknown currency 'zar'"):
        Money.of("1.00", "zar")


def test_total_adds_in_one_currency_and_refuses_another():
    assert total([zar("1.10"), zar("2.20")], "ZAR") == zar("3.30")
    assert total([], "ZAR") == Money.zero("ZAR")
    with pytest.raises(CurrencyError):
        total([Money.of("1", "USD")], "ZAR")


# --- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "half_up", "half_even"),
    [
        ("0.125", "0.13", "0.12"),
        ("0.135", "0.14", "0.14"),
        ("2.005", "2.01", "2.00"),
        ("2.015", "2.02", "2.02"),
        ("-0.125", "-0.13", "-0.12"),
    ],
)
def test_rounding_modes_are_chosen_by_name(amount, half_up, half_even):
    assert zar(amount).round(Rounding["half_up"]) == zar(half_up)
    assert zar(amount).round(Rounding["half_even"]) == zar(half_even)


def test_rounding_defaults_to_half_up():
    assert zar("0.125").round() == zar("0.13")


@pytest.mark.parametrize(
    ("mode", "positive", "negative"),
    [
        ("down", "1.23", "-1.23"),
        ("up", "1.24", "-1.24"),
        ("floor", "1.23", "-1.24"),
        ("ceiling", "1.24", "-1.23"),
        ("half_down", "1.23", "-1.23"),
    ],
)
def test_other_named_modes(mode, positive, negative):
    assert zar("1.235").round(Rounding[mode]) == zar(positive)
    assert zar("-1.235").round(Rounding[mode]) == zar(negative)


def test_unknown_rounding_name_is_an_error():
    with pytest.raises(KeyError):
        Rounding["bankers"]


def test_rounding_once_at_the_end_differs_from_rounding_each_step():
    third = Decimal(1) / Decimal(3)
    part = zar("100.00") * third  # unrounded: 33.333...
    assert part.amount != Decimal("33.33")
    assert (part + part + part).round() == zar("100.00")
    rounded_each = part.round() + part.round() + part.round()
    assert rounded_each == zar("99.99")


def test_rounding_is_idempotent():
    once = zar("10.005").round()
    assert once.round() == once == zar("10.01")


def test_to_minor_refuses_an_unrounded_amount():
    assert zar("12.34").to_minor() == 1234
    with pytest.raises(InputError, match="has more decimals than ZAR allows"):
        zar("12.345").to_minor()


# --- allocate and split ----------------------------------------------------------------------


def test_split_in_three_gives_the_extra_cent_to_the_first_part():
    assert zar("100.00").split(3) == [zar("33.34"), zar("33.33"), zar("33.33")]


def test_allocate_by_ratio_adds_up_exactly():
    parts = zar("10.00").allocate([1, 2, 3])
    assert parts == [zar("1.67"), zar("3.33"), zar("5.00")]
    assert total(parts, "ZAR") == zar("10.00")


def test_allocate_rounds_the_whole_once_first():
    parts = zar("0.005").allocate([1, 1])
    assert total(parts, "ZAR") == zar("0.01")


def test_allocate_a_negative_amount_keeps_the_sign():
    assert zar("-1.00").split(3) == [zar("-0.34"), zar("-0.33"), zar("-0.33")]


def test_allocate_refuses_bad_ratios():
    for ratios in ([], [0, 0], [1, -1]):
        with pytest.raises(InputError, match="ratios must be non-negative and not all zero"):
            zar("1.00").allocate(ratios)
    with pytest.raises(InputError, match="is a float"):
        zar("1.00").allocate([0.5, 0.5])


def test_split_into_zero_parts_is_refused():
    with pytest.raises(InputError, match="cannot split into 0 parts"):
        zar("1.00").split(0)


amounts = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=4, allow_nan=False
)
ratio_lists = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
    lambda rs: sum(rs) > 0
)


@settings(deadline=None)  # never a timing assertion
@given(amount=amounts, ratios=ratio_lists)
def test_allocated_parts_add_up_and_each_is_within_one_cent_of_its_share(amount, ratios):
    money = zar(str(amount))
    whole = money.round()
    parts = money.allocate(ratios)
    assert len(parts) == len(ratios)
    assert total(parts, "ZAR") == whole
    weight = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        exact = whole.amount * Decimal(ratio) / Decimal(weight)
        assert abs(part.amount - exact) < Decimal("0.01")


@settings(deadline=None)
@given(amount=amounts, n=st.integers(min_value=1, max_value=50))
def test_split_parts_add_up_and_differ_by_at_most_one_cent(amount, n):
    parts = zar(str(amount)).split(n)
    assert total(parts, "ZAR") == zar(str(amount)).round()
    sizes = [p.amount for p in parts]
    assert max(sizes) - min(sizes) <= Decimal("0.01")


# --- currencies with 0 and 3 decimals ----------------------------------------------------------


def test_jpy_has_no_minor_unit():
    yen = Money.of("1000", "JPY")
    assert yen.split(3) == [Money.of("334", "JPY"), Money.of("333", "JPY"), Money.of("333", "JPY")]
    assert Money.of("100.5", "JPY").round(Rounding.half_up) == Money.of("101", "JPY")
    assert Money.of("100.5", "JPY").round(Rounding.half_even) == Money.of("100", "JPY")
    assert Money.from_minor(1234, "JPY") == Money.of("1234", "JPY")
    assert str(Money.of("1234", "JPY")) == "JPY 1,234"


def test_kwd_has_three_decimals():
    dinar = Money.of("1.0005", "KWD")
    assert dinar.round(Rounding.half_up) == Money.of("1.001", "KWD")
    assert dinar.round(Rounding.half_even) == Money.of("1.000", "KWD")
    assert Money.of("1.000", "KWD").split(3) == [
        Money.of("0.334", "KWD"),
        Money.of("0.333", "KWD"),
        Money.of("0.333", "KWD"),
    ]
    assert Money.from_minor(1500, "KWD") == Money.of("1.500", "KWD")
    assert Money.of("1.5", "KWD").to_minor() == 1500
    assert str(Money.of("1234.5", "KWD")) == "KWD 1,234.500"


# --- exchange rates --------------------------------------------------------------------------


def test_fx_rate_converts_base_to_quote():
    rate = FxRate.parse("USD/ZAR", "18.50")
    assert rate.pair == "USD/ZAR"
    assert Money.of("100.00", "USD").convert(rate) == zar("1850.00")


def test_fx_rate_refuses_the_wrong_base():
    rate = FxRate.parse("USD/ZAR", "18.50")
    with pytest.raises(CurrencyError, match="rate USD/ZAR converts from USD, not from ZAR"):
        zar("1.00").convert(rate)


def test_fx_table_converts_both_directions():
    table = FxTable((FxRate.parse("USD/ZAR", "20"),))
    forward, used = table.convert(Money.of("100.00", "USD"), "ZAR")
    assert forward == zar("2000.00")
    assert used is not None
    assert used.pair == "USD/ZAR"
    back, inverse = table.convert(zar("1850.00"), "USD")
    assert back.round() == Money.of("92.50", "USD")
    assert inverse is not None
    assert inverse.pair == "ZAR/USD"
    assert inverse.rate == Decimal("0.05")


def test_fx_table_needs_no_rate_for_the_same_currency():
    same, used = FxTable().convert(zar("5.00"), "ZAR")
    assert same == zar("5.00")
    assert used is None


def test_missing_fx_rate_names_the_pair():
    table = FxTable((FxRate.parse("USD/ZAR", "18.50"),))
    with pytest.raises(FxRateMissing) as caught:
        table.convert(Money.of("10.00", "EUR"), "ZAR")
    error = caught.value
    assert error.code == "fx_rate_missing"
    assert error.where == "fx"
    assert error.message == "no exchange rate supplied to convert EUR to ZAR"
    assert error.allowed == 'a rate for "EUR/ZAR" in the request, e.g. {"EUR/ZAR": "18.50"}'
    assert isinstance(error, ValueError)


def test_fx_pair_must_be_base_slash_quote():
    with pytest.raises(InputError, match="fx pair 'USDZAR' is not BASE/QUOTE"):
        FxRate.parse("USDZAR", "18.50")


def test_fx_rate_must_be_positive_and_not_a_float():
    with pytest.raises(InputError, match="must be a positive Decimal"):
        FxRate.parse("USD/ZAR", "0")
    with pytest.raises(InputError, match="is a float"):
        FxRate.parse("USD/ZAR", 18.5)


def test_fx_rate_refuses_an_unknown_currency():
    with pytest.raises(CurrencyError) as caught:
        FxRate.parse("USD/XXX", "1")
    assert caught.value.where == "fx.quote"
