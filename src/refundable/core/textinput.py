"""Reading untrusted text before any parser trusts it: size, encoding, nesting, aliases, keys.

A 1.4 KB YAML alias bomb, 100,000 nested brackets, a binary file or a duplicate key must each
end in one clear error, never a RecursionError, an out-of-memory or a silent "last key wins".
So every document passes these gates, in this order, each one cheap and bounded:

1. bytes: at most ``MAX_DOCUMENT_BYTES``, read no further than that (a 10 GB file costs 1 MB);
2. text: strict UTF-8, no NUL or other control characters except tab and line breaks;
3. structure, before any object is built: for JSON a scan of the brackets, for YAML the event
   stream (the parser is iterative, only the composer recurses), which bounds nesting depth,
   aliases and their expanded size, and refuses duplicate keys and non-scalar keys, each with
   its path and line;
4. values: YAML is read with the YAML 1.2 core schema (``yes`` and ``NO`` are strings, ``1_000``
   is a string, timestamps stay text for the caller's own parser); numbers that no longer fit
   (``1e400``, 5,000-digit integers, ``1e-400`` that rounds to zero) are refused with the path.

Shared by the request parser; the policy reader can reuse ``check_text``, ``scan_yaml`` and
``YAML12Loader`` (ADR 0018).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from refundable.core.errors import InputNotText, InputTooLarge, MalformedInput, OutOfRange
from refundable.core.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_ECHO_LENGTH,
    MAX_EXPANDED_NODES,
    MAX_NESTING_DEPTH,
    MAX_NUMBER_CHARS,
    MAX_YAML_ALIASES,
    echo,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- 1 and 2: bytes and text ------------------------------------------------------------------


def read_bounded(path: Path | str, what: str = "request") -> bytes:
    """Read a file ('-' for stdin) but never more than one byte past the limit."""
    if str(path) == "-":
        return _bounded(sys.stdin.buffer, what)
    try:
        with Path(path).open("rb") as handle:
            return _bounded(handle, what)
    except OSError as error:
        raise MalformedInput(
            f"cannot read the {what} file: {error.strerror or error}",
            where=plain(str(path)),
            allowed="a readable file, or '-' for standard input",
        ) from None


def _bounded(handle: BinaryIO, what: str) -> bytes:
    data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(what)
    return data


def _too_large(what: str) -> InputTooLarge:
    return InputTooLarge(
        f"the {what} is larger than {MAX_DOCUMENT_BYTES:,} bytes",
        where=what,
        allowed=f"at most {MAX_DOCUMENT_BYTES:,} bytes",
    )


def check_text(data: bytes | str, what: str = "request") -> str:
    """Bytes or text -> text that is small enough, UTF-8 and free of control characters."""
    if isinstance(data, str):
        if len(data) > MAX_DOCUMENT_BYTES:
            raise _too_large(what)
        text = data
    else:
        if len(data) > MAX_DOCUMENT_BYTES:
            raise _too_large(what)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise InputNotText(
                f"the {what} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                f"{error.start})",
                where=f"line {line}",
                allowed="UTF-8 encoded JSON or YAML",
            ) from None
    text = text.removeprefix("\ufeff")
    bad = _CONTROL.search(text)
    if bad is not None:
        kind = "binary data (NUL byte)" if bad.group() == "\x00" else "a control character"
        raise InputNotText(
            f"the {what} contains {kind} U+{ord(bad.group()):04X}",
            where=f"line {text.count(chr(10), 0, bad.start()) + 1}",
            allowed="printable text; tabs and line breaks only",
        )
    return text


# --- 3: structure before objects --------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_json_depth(text: str, what: str = "request") -> None:
    """Refuse JSON nested deeper than MAX_NESTING_DEPTH, scanning brackets outside strings."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise _too_deep(what, f"line {line}")
        elif token in "]}":
            depth -= 1


def _too_deep(what: str, where: str) -> InputTooLarge:
    return InputTooLarge(
        f"the {what} is nested more than {MAX_NESTING_DEPTH} levels deep",
        where=where,
        allowed=f"at most {MAX_NESTING_DEPTH} levels of lists and mappings",
    )


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
            raise _too_deep(scan.what, f"line {line}")
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


def plain(text: str) -> str:
    """Text from a parser's message, made printable and short (never the whole input)."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= MAX_ECHO_LENGTH else shown[: MAX_ECHO_LENGTH - 1] + "…"


# --- 4: values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BadNumber:
    """A number literal that cannot be represented; reported with its path after parsing."""

    literal: str


def _number(text: str) -> int | float | BadNumber:
    """A JSON/YAML number literal as int or float, or BadNumber when it does not fit."""
    cleaned = text.lstrip("+")
    if len(cleaned) > MAX_NUMBER_CHARS:
        return BadNumber(text)
    if re.fullmatch(r"-?[0-9]+", cleaned):
        return int(cleaned)
    if cleaned.startswith(("0o", "0x")):
        return int(cleaned, 8 if cleaned[1] == "o" else 16)
    value = float(cleaned)
    if math.isinf(value) or (value == 0 and re.search(r"[1-9]", cleaned.split("e")[0])):
        return BadNumber(text)
    return value


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
    return _number(text)


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


def load_json(text: str, what: str = "request") -> Any:
    """Checked text -> plain Python data: depth scanned first, duplicate keys refused."""
    check_json_depth(text, what)
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_number,
            parse_float=_number,
            parse_constant=BadNumber,
        )
    except json.JSONDecodeError as error:
        raise MalformedInput(
            f"invalid JSON: {error.msg}",
            where=f"line {error.lineno}",
            allowed="JSON text; see docs/request-vocabulary.md",
        ) from None
    except _Duplicate:
        raise _json_duplicate(text) from None
    check_numbers(data)
    return data


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


def _json_duplicate(text: str) -> MalformedInput:
    """Re-read keeping every pair, to name the path of the first duplicate key."""
    tree = json.loads(text, object_pairs_hook=_Pairs)
    path, key = next(_duplicates(tree, ""))
    where = f"{path}.{key}" if path else key
    return MalformedInput(
        f"duplicate key {echo(key)}",
        where=plain(where),
        allowed="each key once per object",
    )


class _Pairs(list[tuple[str, Any]]):
    pass


def _duplicates(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, _Pairs):
        seen: set[str] = set()
        for key, _ in node:
            if key in seen:
                yield path, key
            seen.add(key)
        for key, value in node:
            yield from _duplicates(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _duplicates(value, f"{path}.{i}" if path else str(i))


def check_numbers(node: Any, path: str = "") -> None:
    """Refuse BadNumber anywhere in parsed data (depth is already bounded)."""
    if isinstance(node, BadNumber):
        raise OutOfRange(
            f"the number {echo(node.literal)} cannot be represented",
            where=plain(path or "request"),
            allowed=f"a finite number of at most {MAX_NUMBER_CHARS} characters "
            '(amounts as decimal strings, e.g. "499.00")',
        )
    if isinstance(node, dict):
        for key, value in node.items():
            check_numbers(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_numbers(value, f"{path}.{i}" if path else str(i))


def load_document(data: bytes | str, what: str = "request") -> Any:
    """Bytes or text of a JSON or YAML document -> plain data, through every gate above."""
    text = check_text(data, what)
    if _JSON_START.match(text):
        return load_json(text, what)
    return load_yaml(text, what)


# JSON when it opens like JSON ({"key" or [ or {}); a YAML flow mapping {key: v} stays YAML.
_JSON_START = re.compile(r'\s*(?:\{\s*["}]|\[)')
