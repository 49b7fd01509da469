"""Golden tests of the YAML 1.2 traps: what each plain scalar becomes in a policy file.

PyYAML alone reads YAML 1.1, where ``NO`` is false (Norway disappears), ``1.10`` is the float
1.1, ``yes``/``on`` are booleans, ``010`` is eight and ``09:00`` is 540. The policy loader reads
YAML 1.2's core schema (ADR 0023); numbers become exact Decimals, never floats.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from refundable.core import limits
from refundable.policy.yamlsource import LineDict, load_yaml


def value(text: str) -> object:
    data, problems = load_yaml(f"key: {text}\n", "t.yaml")
    assert problems == []
    assert isinstance(data, LineDict)
    return data["key"]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("NO", "NO"),  # Norway stays Norway
        ("no", "no"),
        ("yes", "yes"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("09:00", "09:00"),  # not sexagesimal 540
        ("1:30:00", "1:30:00"),
        ("2026-02-30", "2026-02-30"),  # a date is text; the date validator judges it
        ("2026-01-01", "2026-01-01"),
        ("1_000", "1_000"),  # no digit separators
        ("0b101", "0b101"),  # no binary
        ("+.5e", "+.5e"),
        ("ZA", "ZA"),
    ],
)
def test_plain_scalars_that_yaml_1_1_would_retype_stay_text(written, read):
    assert value(written) == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("null", None),
        ("~", None),
        ("", None),
        ("10", 10),
        ("010", 10),  # decimal, not octal 8
        ("0o10", 8),  # YAML 1.2 octal
        ("0x1F", 31),
        ("-7", -7),
    ],
)
def test_core_schema_booleans_nulls_and_integers(written, read):
    got = value(written)
    assert got == read
    assert type(got) is type(read)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1.10", "1.10"),  # keeps its digits: a version written 1.10 is not 1.1
        ("1.1", "1.1"),
        ("0.1", "0.1"),
        (".5", "0.5"),
        ("1e3", "1E+3"),
        ("-2.50", "-2.50"),
    ],
)
def test_numbers_with_a_point_are_exact_decimals_never_floats(written, read):
    got = value(written)
    assert isinstance(got, Decimal)
    assert got == Decimal(read)
    assert str(got) == str(Decimal(written))


def test_quoted_and_explicitly_tagged_scalars_are_text():
    data, problems = load_yaml("a: '1.10'\nb: \"NO\"\nc: !!str 1.10\nd: ! 10\n", "t.yaml")
    assert problems == []
    assert data == {"a": "1.10", "b": "NO", "c": "1.10", "d": "10"}


def test_infinity_and_nan_are_refused():
    _data, problems = load_yaml("a: .inf\nb: .NaN\n", "t.yaml")
    assert [p.render() for p in problems] == [
        "t.yaml:1: .inf is not a number a policy can use (allowed: a finite number)",
        "t.yaml:2: .NaN is not a number a policy can use (allowed: a finite number)",
    ]


def test_a_5000_digit_number_is_refused_not_converted():
    _data, problems = load_yaml(f"a: {'9' * 5000}\n", "t.yaml")
    (problem,) = problems
    assert problem.line == 1
    assert problem.message.startswith("the number '99999")
    assert problem.allowed == "at most 40 characters"
    assert len(problem.render()) < 200


def test_lines_of_keys_items_and_nested_mappings():
    data, problems = load_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", "t.yaml")
    assert problems == []
    assert data.line_of("a") == 1
    assert data["a"].line_of("c") == 3
    assert data["a"]["c"].line_of(1) == 5


def test_the_source_text_of_a_number_is_kept_for_messages():
    data, _ = load_yaml("version: 010\nclauses: [2.10]\n", "t.yaml")
    assert data.raw == {"version": "010"}
    assert data["clauses"].raw == {0: "2.10"}


def test_anchors_and_aliases_share_one_value():
    data, problems = load_yaml("a: &x {k: 1}\nb: *x\n", "t.yaml")
    assert problems == []
    assert data["b"] is data["a"]


def test_an_alias_bomb_is_stopped_while_parsing():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    data, problems = load_yaml("\n".join(lines) + "\n", "t.yaml")
    assert data is None
    (problem,) = problems
    assert "expands to more than 100,000 values" in problem.message
    assert len(problem.render()) < 300


def test_too_many_aliases():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (limits.MAX_YAML_ALIASES + 1)) + "]\n"
    data, problems = load_yaml(text, "t.yaml")
    assert data is None
    assert [p.message for p in problems] == ["more than 100 aliases (*name)"]


def test_nesting_deeper_than_the_limit_is_refused_without_recursion():
    depth = 100_000
    data, problems = load_yaml("a: " + "[" * depth + "]" * depth + "\n", "t.yaml")
    assert data is None
    assert [p.render() for p in problems] == [
        "t.yaml:1: nested more than 32 levels deep (allowed: at most 32 levels of nesting)"
    ]


def test_duplicate_keys_and_collection_keys_are_problems():
    _data, problems = load_yaml("a: 1\na: 2\n? [x]\n: 3\n", "t.yaml")
    assert [p.render() for p in problems] == [
        "t.yaml:2: key 'a' appears twice in the same mapping (allowed: each key once)",
        "t.yaml:3: a list or mapping used as a key "
        "(allowed: a plain key such as a word or a quoted number)",
    ]


def test_tags_and_second_documents_are_refused():
    _, problems = load_yaml("a: !!python/object:os.system x\n", "t.yaml")
    assert [p.message for p in problems] == [
        "YAML tag tag:yaml.org,2002:python/object:os.system is not used in policy files"
    ]
    data, problems = load_yaml("a: 1\n---\nb: 2\n", "t.yaml")
    assert data is None
    assert [p.render() for p in problems] == [
        "t.yaml:2: a second YAML document in the file (allowed: one document per file)"
    ]


def test_control_characters_and_oversized_text_are_refused_before_parsing():
    _, problems = load_yaml("a: \x1b[31mred\n", "t.yaml")
    assert [p.render() for p in problems] == [
        "t.yaml:1: control character U+001B in the text (is this a binary file?) "
        "(allowed: printable text, tabs and line breaks)"
    ]
    _, problems = load_yaml("a: " + "x" * limits.MAX_DOCUMENT_BYTES, "t.yaml")
    assert [p.message for p in problems] == ["the document is 1,000,003 bytes, too large to read"]


def test_a_syntax_error_at_the_end_of_the_text_has_a_line():
    data, problems = load_yaml("{", "t.yaml")  # found by the fuzz test: the mark is past the end
    assert data is None
    assert [p.line for p in problems] == [2]
    assert problems[0].message.startswith("YAML syntax error: did not find expected node content")
