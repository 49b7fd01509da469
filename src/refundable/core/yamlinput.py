"""YAML requests read safely: the event stream is checked before any object is built.

PyYAML's parser is iterative but its composer recurses, and aliases are expanded by whoever
walks the result (pydantic, an error message): a 1.4 KB alias bomb becomes billions of values.
So ``scan_yaml`` walks the events first, bounding nesting (``MAX_NESTING_DEPTH``), aliases
(``MAX_YAML_ALIASES``) and the expanded size (``MAX_EXPANDED_NODES``), and refusing duplicate
keys and lists, maps or aliases used as keys, each with its path and line. Then
``YAML12Loader`` builds plain data with the YAML 1.2 core schema: only true/false are
booleans, ``yes``/``NO``/``1_000`` stay text, timestamps stay text for our own parser, and
numbers that do not fit become BadNumber for ``check_numbers`` (ADR 0018).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from refundable.core.errors import InputTooLarge, MalformedInput
from refundable.core.limits import (
    MAX_EXPANDED_NODES,
    MAX_NESTING_DEPTH,
    MAX_YAML_ALIASES,
    echo,
)
from refundable.core.textinput import BadNumber, check_numbers, parse_number, plain, too_deep


@dataclass
class _Frame:
    path: str
    is_map: bool
    anchor: str | None
    line: int
    size: int = 1
    index: int = 0
    key: str | None = None  # the key whose value comes next (maps)
    keys: dict[str, int] = field(default_factory=dict)

    def child_path(self) -> str:
        part = self.key if self.is_map else str(self.index)
        return f"{self.path}.{part}" if self.path else str(part)


@dataclass
class _Scan:
    what: str
    stack: list[_Frame] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)
    aliases: int = 0
    total: int = 0

    def count(self, size: int, line: int) -> None:
        """``size`` more values in the expanded document; refused past the limit."""
        self.total += size
        if self.total > MAX_EXPANDED_NODES:
            raise InputTooLarge(
                f"the {self.what} expands to more than {MAX_EXPANDED_NODES:,} values",
                where=f"line {line}",
                allowed=f"at most {MAX_EXPANDED_NODES:,} values after aliases are expanded",
            )

    def place(self, size: int) -> None:
        """A finished node of ``size`` expanded values goes into its parent."""
        if self.stack:
            parent = self.stack[-1]
            parent.size += size
            if parent.is_map and parent.key is not None:
                parent.key = None
            else:
                parent.index += 1


def scan_yaml(text: str, what: str = "request") -> None:
    """Walk the YAML event stream (no objects built): depth, aliases, expanded size, keys."""
    scan = _Scan(what)
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            _event(scan, event)
    except yaml.YAMLError as error:
        raise yaml_error(error, what) from None


def _event(scan: _Scan, event: yaml.Event) -> None:
    line = event.start_mark.line + 1 if event.start_mark is not None else 0
    parent = scan.stack[-1] if scan.stack else None
    expecting_key = parent is not None and parent.is_map and parent.key is None
    if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
        if expecting_key:
            raise _bad_key(parent, line, "a list or mapping")
        if len(scan.stack) >= MAX_NESTING_DEPTH:
            raise too_deep(scan.what, f"line {line}")
        path = parent.child_path() if parent is not None else ""
        is_map = isinstance(event, yaml.MappingStartEvent)
        scan.count(1, line)
        scan.stack.append(_Frame(path, is_map, event.anchor, line))
    elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
        done = scan.stack.pop()  # its values were counted as they came
        if done.anchor is not None:
            scan.anchors[done.anchor] = done.size
        scan.place(done.size)
    elif isinstance(event, yaml.AliasEvent):
        _alias(scan, event, parent, expecting_key, line)
    elif isinstance(event, yaml.ScalarEvent):
        if expecting_key:
            assert parent is not None
            _key(parent, event.value, line)
            return
        if event.anchor is not None:
            scan.anchors[event.anchor] = 1
        scan.count(1, line)
        scan.place(1)


def _alias(
    scan: _Scan, event: yaml.AliasEvent, parent: _Frame | None, expecting_key: bool, line: int
) -> None:
    if expecting_key:
        raise _bad_key(parent, line, "an alias")
    scan.aliases += 1
    if scan.aliases > MAX_YAML_ALIASES:
        raise InputTooLarge(
            f"the {scan.what} uses more than {MAX_YAML_ALIASES} aliases",
            where=f"line {line}",
            allowed=f"at most {MAX_YAML_ALIASES} aliases (*name)",
        )
    size = scan.anchors.get(event.anchor or "", 1)
    scan.count(size, line)
    scan.place(size)


def _key(parent: _Frame, key: str, line: int) -> None:
    if key in parent.keys:
        where = f"{parent.path}.{key}" if parent.path else key
        raise MalformedInput(
            f"duplicate key {echo(key)} (line {line}; first at line {parent.keys[key]})",
            where=plain(where),
            allowed="each key once per mapping",
        )
    parent.keys[key] = line
    parent.key = key


def _bad_key(parent: _Frame | None, line: int, kind: str) -> MalformedInput:
    where = parent.path if parent is not None and parent.path else f"line {line}"
    return MalformedInput(
        f"{kind} is used as a key (line {line})",
        where=plain(where),
        allowed="a plain text key",
    )


def yaml_error(error: yaml.YAMLError, what: str = "request") -> MalformedInput:
    """A YAML syntax error as one line: the problem and its line, never the offending text."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or type(error).__name__
    where = f"line {mark.line + 1}" if mark is not None else what
    return MalformedInput(
        f"invalid YAML: {plain(problem)}",
        where=where,
        allowed="YAML (or JSON) text; see docs/request-vocabulary.md",
    )


class YAML12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML with the YAML 1.2 core schema: only true/false are booleans, only ~/null
    are null, numbers are plain decimal (no 1_000, no sexagesimal), timestamps stay text."""

    yaml_implicit_resolvers: dict[str, Any] = {}  # noqa: RUF012 (PyYAML's class registry)


_RESOLVERS = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$",
        list("-+0123456789."),
    ),
]
for _tag, _pattern, _first in _RESOLVERS:
    YAML12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node))
    if text.lstrip("+-").lower() in (".inf", ".nan"):
        return BadNumber(text)
    return parse_number(text)


YAML12Loader.add_constructor("tag:yaml.org,2002:int", _construct_number)
YAML12Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)


class _EventLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Only parses (events); never constructs."""


def load_yaml(text: str, what: str = "request") -> Any:
    """Checked text -> plain Python data, after the structure scan; numbers checked."""
    scan_yaml(text, what)
    try:
        data = yaml.load(text, Loader=YAML12Loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise yaml_error(error, what) from None
    check_numbers(data)
    return data
