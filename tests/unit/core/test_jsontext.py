"""``core.jsontext`` writes exactly the text ``json.dumps`` writes with the same options."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refundable.core.jsontext import plain_text, sorted_strict, sorted_text

scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(documents)
def test_each_encoder_writes_what_json_dumps_writes(doc: Any) -> None:
    assert sorted_text(doc) == json.dumps(doc, sort_keys=True, default=str)
    assert sorted_strict(doc) == json.dumps(doc, sort_keys=True)
    assert plain_text(doc) == json.dumps(doc)


def test_what_json_cannot_hold_is_written_as_text_or_refused_as_json_dumps_does() -> None:
    odd = {"z": Decimal("1.50"), "a": datetime(2026, 4, 1, 10, tzinfo=UTC), "m": "é\n\u2028"}
    assert sorted_text(odd) == json.dumps(odd, sort_keys=True, default=str)
    assert '"a": "2026-04-01 10:00:00+00:00"' in sorted_text(odd)
    with pytest.raises(TypeError, match="not JSON serializable"):
        sorted_strict(odd)
    with pytest.raises(TypeError, match="not JSON serializable"):
        plain_text({"x": object()})
    assert plain_text({2: "b", 1: "a"}) == json.dumps({2: "b", 1: "a"}) == '{"2": "b", "1": "a"}'
    assert sorted_text("just text") == json.dumps("just text")


def test_without_the_c_accelerator_the_pure_encoder_writes_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from refundable.core import jsontext

    monkeypatch.setattr(jsontext, "_c_make_encoder", None)
    pure = jsontext._encoder(True, str)
    doc = {"b": [1, 2.5, None], "a": {"y": Decimal("3"), "x": True}}
    assert pure(doc) == json.dumps(doc, sort_keys=True, default=str)


@given(documents)
def test_compact_text_reads_back_as_the_same_document(doc: Any) -> None:
    from refundable.core.jsontext import compact_text

    assert json.loads(compact_text(doc)) == doc


def test_compact_text_keeps_key_order_and_utf8_and_writes_the_rest_as_text() -> None:
    from refundable.core.jsontext import compact_text

    assert compact_text({"b": 1, "a": "é"}) == '{"b":1,"a":"é"}'
    assert compact_text({"x": Decimal("1.50")}) == '{"x":"1.50"}'
