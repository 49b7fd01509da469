"""The JSON depth gate: exact at the limit, whatever the number of brackets (ADR 0018)."""

from __future__ import annotations

import pytest

from refundable.core.errors import InputTooLarge
from refundable.core.limits import MAX_NESTING_DEPTH
from refundable.core.textinput import load_json


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_at_the_limit_is_read() -> None:
    assert load_json(nested(MAX_NESTING_DEPTH)) is not None


def test_one_level_past_the_limit_is_refused_naming_the_line() -> None:
    with pytest.raises(InputTooLarge) as caught:
        load_json(nested(MAX_NESTING_DEPTH + 1))
    assert caught.value.where == "line 1"


def test_many_shallow_brackets_are_not_too_deep() -> None:
    # more brackets than the limit, none of them deeper than two levels
    text = "[" + ",".join(["{}"] * (3 * MAX_NESTING_DEPTH)) + "]"
    assert len(load_json(text)) == 3 * MAX_NESTING_DEPTH


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"note": "' + "[" * (2 * MAX_NESTING_DEPTH) + '"}'
    assert load_json(text)["note"].startswith("[[")


def test_deep_nesting_past_many_brackets_in_strings_is_still_refused() -> None:
    text = '{"note": "' + "{" * MAX_NESTING_DEPTH + '", "x": ' + nested(MAX_NESTING_DEPTH) + "}"
    with pytest.raises(InputTooLarge):
        load_json(text)
