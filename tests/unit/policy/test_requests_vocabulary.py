"""The published vocabularies: the JSON Schemas accept what the parser accepts and describe
what decisions contain, and docs/request-vocabulary.md lists every field with the policies
that read it (regenerated from the code, so it cannot go stale)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from refundable import bootstrap as wiring
from refundable.config import shipped_examples_dir
from refundable.core.textinput import load_document
from refundable.entrypoints.cli import app
from refundable.policy.factpaths import FACTS
from refundable.policy.requests import parse_request_text, zones
from refundable.policy.vocabulary import (
    decision_schema,
    readers,
    request_fields,
    request_schema,
    shipped_policies,
    undocumented_facts,
    vocabulary_markdown,
)

DOC = Path(__file__).parents[3] / "docs" / "request-vocabulary.md"
EXAMPLES = sorted(shipped_examples_dir().glob("*.yaml"))


def test_the_vocabulary_page_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == vocabulary_markdown(shipped_policies()), (
        "docs/request-vocabulary.md is stale; regenerate with: "
        "python -m refundable.policy.vocabulary > docs/request-vocabulary.md"
    )


def test_the_page_lists_every_field_and_every_fact():
    page = DOC.read_text(encoding="utf-8")
    assert undocumented_facts(page) == set()
    for path, _, description in request_fields():
        assert f"| `{path}` |" in page
        assert description, f"{path} has no description in the request models"
    for name in decision_schema()["properties"]:
        assert f"| `{name}` |" in page


def test_read_by_comes_from_the_compiled_policies():
    policies = shipped_policies()
    # a credit policy counts failed messages, a wallet policy values them (ADR 0019)
    assert readers("failed_delivery.units", policies) == ["conek"]
    assert readers("failed_delivery.value", policies) == ["kero"]
    assert readers("charge.invoice_date", policies) == ["myprotektor"]
    assert readers("reason", policies) == ["conek", "kelbix", "kero", "myprotektor"]
    assert set(FACTS) >= {p for p, _, _ in request_fields() if "." in p and p in FACTS}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_shipped_example_fits_both_schemas(path):
    Draft202012Validator(request_schema()).validate(load_document(path.read_bytes()))
    registry = wiring.registry()
    decision = wiring.decide(registry, parse_request_text(path.read_bytes(), zone=zones(registry)))
    Draft202012Validator(decision_schema()).validate(decision.to_dict())


def test_the_request_schema_refuses_what_the_parser_refuses():
    validator = Draft202012Validator(request_schema())
    good = load_document(EXAMPLES[0].read_bytes())
    assert "charge" in good  # the mutations below change a real charge
    for field, value in [("amount", 499.5), ("amount", "1_000"), ("charged_at", "2026-03-01")]:
        bad = json.loads(json.dumps(good))
        bad.setdefault("charge", {"kind": "subscription", "currency": "ZAR"})[field] = value
        assert not validator.is_valid(bad), (field, value)
    assert not validator.is_valid({**good, "colour": "red"})
    assert not validator.is_valid({**good, "written": "yes"})
    assert validator.is_valid({**good, "fx": {"USD/ZAR": "18.50"}})
    assert not validator.is_valid({**good, "fx": {"USDZAR": "18.50"}})


def test_the_schema_commands_print_the_schemas():
    runner = CliRunner()
    request = runner.invoke(app, ["schema", "request"])
    decision = runner.invoke(app, ["schema", "decision"])
    assert request.exit_code == decision.exit_code == 0
    assert json.loads(request.stdout) == request_schema()
    assert json.loads(decision.stdout) == decision_schema()
    Draft202012Validator.check_schema(request_schema())
    Draft202012Validator.check_schema(decision_schema())


def test_every_amount_formula_says_what_it_reads():
    from refundable.policy.document import Formula
    from refundable.policy.factpaths import FORMULA_READS

    assert set(FORMULA_READS) == {f.value for f in Formula}
    for formula, paths in FORMULA_READS.items():
        assert set(paths) <= set(FACTS), formula
