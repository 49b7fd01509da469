"""Requests real callers send: plain dates in date-valued fields (read in the policy's
timezone), failed messages counted or valued as the policy reads them, and a `--policy` that
disagrees with the request's own policy refused. Plus the strict readings of issue 8 that
need more than a corpus line to show (what is accepted next to what is refused)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from refundable import bootstrap as wiring
from refundable.core.errors import InputError, OutOfRange, RefundableError
from refundable.core.money import FxRate, Money
from refundable.entrypoints.cli import app
from refundable.policy.requests import parse_request, parse_request_text, zones

JOBURG = ZoneInfo("Africa/Johannesburg")
USAGE = (
    "policy: myprotektor\nrequested_at: 2026-05-05T10:00:00+02:00\nreason: billing_error\n"
    'charge: {kind: usage, amount: "100.00", currency: ZAR, correct_amount: "50.00",\n'
    "         charged_at: 2026-04-01T08:00:00+02:00, invoice_date: %s}\n"
)


def test_a_plain_invoice_date_is_local_midnight_in_the_policys_timezone():
    registry = wiring.registry()
    request = parse_request_text(USAGE % "2026-04-01", zone=zones(registry))
    assert request.charge is not None
    assert request.charge.invoice_date == datetime(2026, 4, 1, tzinfo=JOBURG)
    assert request.charge.invoice_date.utcoffset() is not None


def test_a_plain_date_and_its_local_midnight_decide_alike():
    registry = wiring.registry()
    plain = parse_request_text(USAGE % "2026-04-05", zone=zones(registry))
    instant = parse_request_text(USAGE % "2026-04-05T00:00:00+02:00", zone=zones(registry))
    late = parse_request_text(USAGE % "2026-04-01", zone=zones(registry))
    assert wiring.decide(registry, plain).to_dict() == wiring.decide(registry, instant).to_dict()
    # 30 days from 5 April includes 5 May; from 1 April it does not (6.2's dispute window)
    assert wiring.decide(registry, plain).rule != "usage-dispute-late"
    assert wiring.decide(registry, late).rule == "usage-dispute-late"


def test_a_plain_date_without_a_known_timezone_is_a_clear_error():
    with pytest.raises(InputError) as caught:
        parse_request_text(USAGE % "2026-04-01")
    error = caught.value
    assert error.where == "charge.invoice_date"
    assert (
        error.message == "the date 2026-04-01 needs the policy's timezone, which is not known here"
    )
    assert error.allowed is not None and "2026-03-31T00:00:00+02:00" in error.allowed


def test_a_zone_given_directly_is_used():
    request = parse_request_text(USAGE % "2026-04-01", zone=ZoneInfo("America/New_York"))
    assert request.charge is not None and request.charge.invoice_date is not None
    assert request.charge.invoice_date.isoformat() == "2026-04-01T00:00:00-04:00"


@pytest.mark.parametrize("field", ["requested_at", "charge.charged_at"])
def test_instants_keep_requiring_a_time_and_an_offset(field):
    text = USAGE % "2026-04-01"
    if field == "requested_at":
        text = text.replace("requested_at: 2026-05-05T10:00:00+02:00", "requested_at: 2026-05-05")
    else:
        text = text.replace("charged_at: 2026-04-01T08:00:00+02:00", "charged_at: 2026-04-01")
    with pytest.raises(InputError) as caught:
        parse_request_text(text, zone=JOBURG)
    assert caught.value.where == field
    assert caught.value.message == "a date is not an instant; give a time and an offset"


CONEK_FAILED = (
    "policy: conek\nrequested_at: 2026-04-14T10:00:00+02:00\nreason: failed_delivery\n"
    "failed_delivery: {%s, cause: platform}\n"
)
KERO_FAILED = (
    "policy: kero\nrequested_at: 2026-04-20T10:00:00+02:00\nreason: failed_delivery\n"
    "account: {currency: USD}\nfailed_delivery: {%s, cause: platform}\n"
)


def _decide(text: str):
    registry = wiring.registry()
    return wiring.decide(registry, parse_request_text(text, zone=zones(registry)))


def test_a_credit_policy_needs_units_and_not_value():
    decision = _decide(CONEK_FAILED % "units: 120")
    assert (decision.outcome.value, decision.units) == ("approve", 120)
    with pytest.raises(InputError) as caught:
        _decide(CONEK_FAILED % 'value: "6.00"')
    assert caught.value.where == "failed_delivery.units"
    assert caught.value.message == (
        "policy conek needs the number of failed messages (failed_delivery.units), which the "
        "request does not give"
    )


def test_a_wallet_policy_needs_value_and_not_units():
    decision = _decide(KERO_FAILED % 'value: "42.50"')
    assert decision.net == Money.of("42.50", "USD")  # decided on value alone, no units
    # without the value the policy's own requirement asks for it (a review, ADR 0017)
    asking = _decide(KERO_FAILED % "units: 850")
    assert asking.outcome.value == "review"
    assert [i.item for i in asking.information_needed] == ["failed_delivery.value"]


def _cli(*args: str, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(app, ["decide", *args])


def test_cli_policy_option_that_disagrees_with_the_request_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "r.yaml"
    path.write_text(KERO_FAILED % 'value: "42.50"', encoding="utf-8")
    result = _cli("--policy", "conek", str(path), tmp_path=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert result.stderr == (
        "error [policy_mismatch] policy: the request names policy 'kero' but is being decided "
        "under 'conek'; allowed: 'conek', or leave policy out of the request\n"
    )
    agreeing = _cli("--policy", "kero", str(path), tmp_path=tmp_path, monkeypatch=monkeypatch)
    assert agreeing.exit_code == 0, agreeing.output


def test_cli_policy_file_that_disagrees_with_the_request_is_refused(tmp_path, monkeypatch):
    from refundable.config import shipped_policies_dir

    path = tmp_path / "r.yaml"
    path.write_text(KERO_FAILED % 'value: "42.50"', encoding="utf-8")
    policy = str(shipped_policies_dir() / "conek.yaml")
    result = _cli("--policy", policy, str(path), tmp_path=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert "[policy_mismatch] policy: the request names policy 'kero'" in result.stderr


def test_cli_reads_a_plain_invoice_date_in_the_policys_timezone(tmp_path, monkeypatch):
    path = tmp_path / "r.yaml"
    path.write_text(USAGE % "2026-04-01", encoding="utf-8")
    result = _cli("--json", str(path), tmp_path=tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert '"rule": "usage-dispute-late"' in result.stdout


# --- strict readings (issue 8) ----------------------------------------------------------------


def _data(**fields):
    base = {"policy": "conek", "requested_at": "2026-03-02T10:00:00+02:00",
            "reason": "duplicate_charge"}  # fmt: skip
    return {**base, **fields}


def test_a_decision_at_the_request_instant_is_accepted_and_one_before_is_not():
    same = parse_request(_data(decided_at="2026-03-02T08:00:00+00:00"))
    assert same.decided_at == same.requested_at
    with pytest.raises(InputError) as caught:
        parse_request(_data(decided_at="2026-03-02T07:59:59+00:00"))
    assert (caught.value.where, caught.value.message) == (
        "decided_at",
        "decided_at is before requested_at",
    )


def test_whole_cents_with_trailing_zeros_are_exact_and_sub_cents_are_refused():
    charge = {"kind": "subscription", "currency": "ZAR", "charged_at": "2026-03-01T10:00:00+02:00"}
    ok = parse_request(_data(charge={**charge, "amount": "499.000"}))
    assert ok.charge is not None and ok.charge.amount == Decimal("499")
    with pytest.raises(InputError) as caught:
        parse_request(_data(charge={**charge, "amount": "499.001"}))
    assert caught.value.message == "499.001 has more decimals than ZAR has"
    assert caught.value.allowed == "at most 2 decimal places for ZAR (nothing is rounded)"


def test_years_at_the_edges_of_the_limits():
    assert parse_request(_data(requested_at="2199-12-31T23:00:00+00:00")).requested_at.year == 2199
    with pytest.raises(OutOfRange) as caught:
        parse_request(_data(requested_at="2200-01-01T00:00:00+00:00"))
    assert caught.value.allowed is not None and caught.value.allowed.startswith(
        "years 1970 to 2199"
    )


def test_yaml_reads_scalars_as_yaml_1_2():
    head = "policy: conek\nrequested_at: 2026-03-02T10:00:00+02:00\nreason: duplicate_charge\n"
    request = parse_request_text(head + "evidence: [NO, yes, off]\nwritten: true\n")
    assert request.evidence == ("NO", "yes", "off")  # words, not YAML 1.1 booleans
    assert request.written is True
    with pytest.raises(RefundableError) as caught:
        parse_request_text(head + "written: yes\n")
    assert (caught.value.where, caught.value.message) == ("written", "'yes' is not a boolean")


def test_money_parsing_is_bounded_and_strict():
    assert Money.of("999999999999999.99", "ZAR").amount == Decimal("999999999999999.99")
    with pytest.raises(OutOfRange):
        Money.of("1000000000000000", "ZAR")
    with pytest.raises(InputError) as caught:
        Money.of("1_000", "ZAR")
    assert caught.value.message == "'1_000' is not a plain decimal number"
    with pytest.raises(OutOfRange):
        Money.of("9" * 5000, "ZAR")
    assert FxRate.parse("USD/ZAR", "0.000000001").rate == Decimal("0.000000001")
    with pytest.raises(OutOfRange) as fx:
        FxRate.parse("USD/ZAR", "0.0000000001")
    assert fx.value.allowed == "0.000000001 to 1,000,000,000"


def test_scenario_files_read_plain_dates_in_the_policys_timezone(tmp_path):
    from refundable.policy.scenarios import run_file

    scenario = tmp_path / "myprotektor.scenarios.yaml"
    scenario.write_text(
        "policy: myprotektor\nscenarios:\n"
        "  - name: a usage charge disputed 34 days after its invoice date\n"
        "    request:\n"
        "      requested_at: 2026-05-05T10:00:00+02:00\n"
        "      reason: billing_error\n"
        '      charge: {kind: usage, amount: "100.00", currency: ZAR, correct_amount: "50.00",\n'
        "               charged_at: 2026-04-01T08:00:00+02:00, invoice_date: 2026-04-01}\n"
        "    expect: {outcome: deny, rule: usage-dispute-late}\n",
        encoding="utf-8",
    )
    results = run_file(scenario, wiring.registry())
    assert [(r.passed, r.mismatches) for r in results] == [(True, ())]
