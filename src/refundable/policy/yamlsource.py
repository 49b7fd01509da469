"""YAML that remembers where each value came from.

A policy author needs "conek.yaml:42: ..." rather than "rules.3.when": the loader keeps the
line of every mapping key and list item, so any problem found later (by pydantic, by the
condition checker, by cross-reference checks) can be reported at its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from refundable.core.errors import Problem


class LineDict(dict[Any, Any]):
    """A dict that knows the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class _Loader(yaml.SafeLoader):
    duplicate_keys: list[tuple[int, Any]]


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicate_keys.append((key_node.start_mark.line + 1, key))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList()
    result.line = node.start_mark.line + 1
    result.item_lines = []
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse YAML keeping lines; syntax errors and duplicate keys come back as problems."""
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        return None, [Problem(file, line, f"YAML syntax error: {problem}")]
    finally:
        loader.dispose()
    problems = [
        Problem(file, line, f"key {key!r} appears twice in the same mapping", "each key once")
        for line, key in loader.duplicate_keys
    ]
    return data, problems


def read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return None, [Problem(str(path), None, f"cannot read file: {error.strerror}")]
    return load_yaml(text, str(path))


def line_at(data: Any, loc: Sequence[Any]) -> int | None:
    """The line of the deepest node of ``data`` that ``loc`` (a pydantic error location or a
    key path) reaches. Location parts that are not keys (union member names) are skipped."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if (isinstance(node, LineDict) and part in node) or (
            isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node)
        ):
            line = node.line_of(part)
            node = node[part]
    return line
