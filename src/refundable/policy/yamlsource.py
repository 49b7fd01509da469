"""YAML 1.2 that remembers where each value came from, built within limits.

A policy author needs "conek.yaml:42: ..." rather than "rules.3.when": every mapping and list
keeps the line of itself and of each key or item, so any problem found later (pydantic, the
condition compiler, cross-reference checks) is reported at its line.

Scalars follow the YAML 1.2 core schema (ADR 0023), not PyYAML's YAML 1.1: ``NO``, ``yes`` and
``on`` are strings, ``1.10`` is the number 1.10 written as a Decimal (never a float, so it
keeps its digits and the loader can say "quote it"), ``010`` is ten, ``09:00`` is a string and
``2026-02-30`` is a string the date validator refuses with a line, instead of a crash.

The values are built here from libyaml's event stream (PyYAML's pure-Python parser where
libyaml is missing), one loop with an explicit stack: no recursion however deep the input, and
the limits hold WHILE parsing: nesting depth (MAX_NESTING_DEPTH), alias uses
(MAX_YAML_ALIASES) and the expanded size an alias bomb would reach (MAX_YAML_NODES). Aliases
share one object rather than copying it. Duplicate keys, keys that are lists or mappings, tags,
several documents in one file are problems with lines, never a silent "last one wins".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml import events

from refundable.core import limits
from refundable.core.errors import InputError, Problem
from refundable.core.textinput import check_controls, check_size, read_text

try:  # libyaml's C parser: ten times faster than the pure-Python one (docs/benchmarks.md)
    from yaml import CBaseLoader as _EventSource
except ImportError:  # pragma: no cover - libyaml is part of the PyYAML wheels we install
    from yaml import BaseLoader as _EventSource  # type: ignore[assignment]


class LineDict(dict[Any, Any]):
    """A dict that knows the line of itself and of each of its keys (1-based), and the source
    text of each value that YAML read as something other than a string."""

    line: int = 0
    key_lines: dict[Any, int]
    raw: dict[Any, str]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]
    raw: dict[int, str]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class YamlAbort(Exception):
    """Internal: the document broke a limit; stop building (the problem is already recorded)."""


# --- YAML 1.2 core schema for plain scalars -------------------------------------------------

_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")
_MAYBE_TYPED = frozenset("0123456789-+.~nNtTfF")
# A number longer than this is a mistake or an attack (a 5,000-digit integer), not a policy.
MAX_NUMBER_CHARS = 40

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))


class _Builder:
    """Turns the event stream of one document into LineDict/LineList values."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.stack: list[list[Any]] = []  # [container, pending key, key line, start count, anchor]
        self.nodes = 0
        self.aliases = 0
        self.root: Any = None
        self.documents = 0

    def problem(self, line: int | None, message: str, allowed: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, message, allowed))

    def abort(self, line: int, message: str, allowed: str) -> None:
        self.problem(line, message, allowed)
        raise YamlAbort

    def count(self, n: int, line: int) -> None:
        self.nodes += n
        if self.nodes > limits.MAX_YAML_NODES:
            self.abort(
                line,
                f"the document expands to more than {limits.MAX_YAML_NODES:,} values "
                "(an alias used too often?)",
                f"at most {limits.MAX_YAML_NODES:,} values after aliases are expanded",
            )

    def feed(self, event: events.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, events.ScalarEvent):
            self.count(1, line)
            self.add(self.scalar(event, line), line, event.anchor, 1, raw=event.value)
        elif isinstance(event, events.MappingStartEvent | events.SequenceStartEvent):
            self.open(event, line)
        elif isinstance(event, events.MappingEndEvent | events.SequenceEndEvent):
            container, _, _, start, anchor = self.stack.pop()
            self.add(container, container.line, anchor, self.nodes - start + 1, raw=None)
        elif isinstance(event, events.AliasEvent):
            self.alias(event, line)
        elif isinstance(event, events.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.abort(line, "a second YAML document in the file", "one document per file")

    def open(self, event: events.CollectionStartEvent, line: int) -> None:
        self.check_tag(event.tag, line, ("map", "seq"))
        if len(self.stack) >= limits.MAX_NESTING_DEPTH:
            self.abort(
                line,
                f"nested more than {limits.MAX_NESTING_DEPTH} levels deep",
                f"at most {limits.MAX_NESTING_DEPTH} levels of nesting",
            )
        self.count(1, line)
        container: LineDict | LineList
        if isinstance(event, events.MappingStartEvent):
            container = LineDict()
            container.key_lines = {}
        else:
            container = LineList()
            container.item_lines = []
        container.raw = {}
        container.line = line
        self.stack.append([container, None, 0, self.nodes, event.anchor])

    def alias(self, event: events.AliasEvent, line: int) -> None:
        self.aliases += 1
        if self.aliases > limits.MAX_YAML_ALIASES:
            self.abort(
                line,
                f"more than {limits.MAX_YAML_ALIASES} aliases (*name)",
                f"at most {limits.MAX_YAML_ALIASES} aliases per file",
            )
        found = self.anchors.get(event.anchor or "")
        if found is None:
            self.abort(
                line,
                f"alias *{limits.echo(event.anchor)[1:-1]} names no anchor defined before it",
                "an &anchor defined earlier in the file, outside the alias",
            )
        value, size = found  # type: ignore[misc]
        self.count(size, line)
        self.add(value, line, None, 0, raw=None)

    def add(self, value: Any, line: int, anchor: str | None, size: int, raw: str | None) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        parent = frame[0]
        raw_text = raw if raw is not None and not isinstance(value, str) else None
        if isinstance(parent, LineList):
            if raw_text is not None:
                parent.raw[len(parent)] = raw_text
            parent.append(value)
            parent.item_lines.append(line)
        elif frame[1] is None:
            frame[1], frame[2] = (value,), line  # a key (wrapped: None is a valid key)
        else:
            (key,), key_line = frame[1], frame[2]
            frame[1] = None
            self.put(parent, key, key_line, value, raw_text)

    def put(self, parent: LineDict, key: Any, line: int, value: Any, raw: str | None) -> None:
        if isinstance(key, LineDict | LineList):
            self.problem(
                line,
                "a list or mapping used as a key",
                "a plain key such as a word or a quoted number",
            )
            return
        if key in parent:
            self.problem(
                line,
                f"key {limits.echo(key)} appears twice in the same mapping",
                "each key once",
            )
        parent[key] = value
        parent.key_lines[key] = line
        if raw is not None:
            parent.raw[key] = raw

    def check_tag(self, tag: str | None, line: int, kinds: Sequence[str]) -> None:
        if tag is None or tag == "!" or tag in {_TAG + k for k in kinds}:
            return
        self.problem(
            line,
            f"YAML tag {limits.echo(tag)[1:-1]} is not used in policy files",
            "plain values; quote a value to make it text",
        )

    def scalar(self, event: events.ScalarEvent, line: int) -> Any:
        value = event.value
        tag = event.tag
        if tag is None:
            return self.plain(value, line) if event.implicit[0] else value
        if tag == "!" or tag == _TAG + "str":
            return value
        if tag not in _SCALAR_TAGS:
            self.check_tag(tag, line, ())
            return value
        typed = self.plain(value, line)
        if isinstance(typed, str):
            self.problem(line, f"{limits.echo(value)} is not a {tag.removeprefix(_TAG)}")
        return typed

    def plain(self, value: str, line: int) -> Any:
        """Resolve a plain scalar by the YAML 1.2 core schema (numbers as exact Decimals)."""
        if value in _NULL:
            return None
        if value[0] not in _MAYBE_TYPED:
            return value
        if value in _BOOL:
            return _BOOL[value]
        numeric = _INT.match(value) or _FLOAT.match(value) or _OCT.match(value)
        if numeric is None and _HEX.match(value) is None:
            if _SPECIAL.match(value):
                self.problem(line, f"{value} is not a number a policy can use", "a finite number")
            return value
        if len(value) > MAX_NUMBER_CHARS:
            self.problem(
                line,
                f"the number {limits.echo(value)} is too long",
                f"at most {MAX_NUMBER_CHARS} characters",
            )
            return value
        if _INT.match(value):
            return int(value)
        if value.startswith(("0o", "0x")):
            return int(value[2:], 8 if value[1] == "o" else 16)
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return value


def _syntax_problem(error: yaml.YAMLError, text: str, file: str) -> Problem:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    position = getattr(error, "position", None)
    if line is None and isinstance(position, int):
        line = text.count("\n", 0, position) + 1
    problem = getattr(error, "problem", None) or getattr(error, "reason", None) or "unreadable"
    lines = text.split("\n")
    bad_line = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
    allowed = (
        "indent with spaces, never tabs"
        if "\t" in bad_line[: len(bad_line) - len(bad_line.lstrip())]
        else "YAML 1.2: `key: value` lines indented with spaces, [a, b] and {k: v} closed"
    )
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        problem = f"{problem} ({context} from line {context_mark.line + 1})"
    return Problem(file, line, f"YAML syntax error: {problem}", allowed)


def load_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse YAML 1.2 keeping lines. Syntax errors and broken limits end the parse (the data
    is None); duplicate keys, odd keys and tags are problems next to usable data."""
    try:
        check_size(len(text), file)
        check_controls(text, file)
    except InputError as error:
        return None, [_input_problem(error, file)]
    builder = _Builder(file)
    source = _EventSource(text)
    try:
        while source.check_event():
            event = source.get_event()
            if event is not None:
                builder.feed(event)
    except YamlAbort:
        return None, builder.problems
    except yaml.YAMLError as error:
        return None, [*builder.problems, _syntax_problem(error, text, file)]
    finally:
        source.dispose()
    return builder.root, builder.problems


def _input_problem(error: InputError, file: str) -> Problem:
    where = error.where or file
    _, _, line = where.rpartition(":")
    return Problem(file, int(line) if line.isdigit() else None, error.message, error.allowed)


def read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Read a file (size, UTF-8 and control characters checked first) and parse it."""
    try:
        text = read_text(path)
    except InputError as error:
        return None, [_input_problem(error, str(path))]
    return load_yaml(text, str(path))


def line_at(data: Any, loc: Sequence[Any]) -> int | None:
    """The line of the deepest node of ``data`` that ``loc`` (a pydantic error location or a
    key path) reaches. Location parts that are not keys (union member names) are skipped."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if (isinstance(node, LineDict) and _has(node, part)) or (
            isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node)
        ):
            line = node.line_of(part)
            node = node[part]
    return line


def _has(node: LineDict, key: Any) -> bool:
    try:
        return key in node
    except TypeError:
        return False
