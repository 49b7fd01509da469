"""Reading untrusted text before any parser trusts it: size, encoding, nesting, keys, numbers.

A 2 GB upload, a binary file, 100,000 nested brackets or a duplicate key must each end in one
clear error, never a MemoryError, a RecursionError or a silent "last key wins". So every
document passes these gates, in this order, each one cheap and bounded:

1. bytes: at most ``MAX_DOCUMENT_BYTES``, read no further than that (a 10 GB file costs 1 MB);
2. text: strict UTF-8, no NUL or other control characters except tab and line breaks;
3. structure before objects: for JSON a scan of the brackets; for YAML the event stream
   (:mod:`refundable.core.yamlinput`), bounding depth, aliases and their expanded size and
   refusing duplicate or non-scalar keys, each with its path and line;
4. values: numbers that no longer fit (``1e400``, 5,000-digit integers, ``1e-400`` that rounds
   to zero, NaN) are refused with their path.

The request parser uses ``load_document``; the policy reader uses ``check_size``,
``check_controls``, ``read_text`` and ``printable`` (ADR 0018).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from refundable.core.errors import (
    InputError,
    InputNotText,
    InputTooLarge,
    MalformedInput,
    OutOfRange,
)
from refundable.core.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_ECHO_LENGTH,
    MAX_NESTING_DEPTH,
    MAX_NUMBER_CHARS,
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


# --- the same gates with a file:line location, for the policy reader ------------------

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL_C1 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_size(size: int, where: str) -> None:
    """Refuse a document over MAX_DOCUMENT_BYTES before reading or parsing it."""
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"the document is {size:,} bytes, too large to read",
            where=where,
            allowed=f"at most {MAX_DOCUMENT_BYTES:,} bytes",
        )


def decode_utf8(data: bytes, where: str) -> str:
    """Bytes to text, refusing anything that is not UTF-8 text (binary files, Latin-1, NUL)."""
    check_size(len(data), where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"byte 0x{data[error.start]:02x} is not UTF-8 text (is this a binary file?)",
            where=f"{where}:{line}",
            allowed="a UTF-8 text file",
        ) from None
    text = text.removeprefix("\ufeff")
    check_controls(text, where)
    return text


def check_controls(text: str, where: str) -> None:
    """Refuse raw control characters (NUL, ESC, ...): they are never part of a policy or a
    request, and echoing them would let a file drive the reader's terminal."""
    found = _CONTROL_C1.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise InputError(
            f"control character U+{ord(found.group()):04X} in the text (is this a binary file?)",
            where=f"{where}:{line}",
            allowed="printable text, tabs and line breaks",
        )


def printable(text: str) -> str:
    """``text`` with every control character shown as '?', safe to print to a terminal."""
    return _CONTROL_C1.sub("?", text)


def read_text(path: Path, where: str | None = None) -> str:
    """Read a text file with the guards above; OSError becomes an InputError."""
    name = where or str(path)
    try:
        check_size(path.stat().st_size, name)
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror or error}", where=name) from None
    return decode_utf8(data, name)


# --- 3: structure before objects --------------------------------------------------------------

# A string (unrolled: runs of plain characters between escapes) or a bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def check_json_depth(text: str, what: str = "request") -> None:
    """Refuse JSON nested deeper than MAX_NESTING_DEPTH, scanning brackets outside strings."""
    if text.count("[") + text.count("{") <= MAX_NESTING_DEPTH:
        return  # no deeper than the brackets it has: nothing to scan (most requests)
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise too_deep(what, f"line {line}")
        elif token in "]}":
            depth -= 1


def too_deep(what: str, where: str) -> InputTooLarge:
    return InputTooLarge(
        f"the {what} is nested more than {MAX_NESTING_DEPTH} levels deep",
        where=where,
        allowed=f"at most {MAX_NESTING_DEPTH} levels of lists and mappings",
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


def parse_number(text: str) -> int | float | BadNumber:
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


def load_json(text: str, what: str = "request") -> Any:
    """Checked text -> plain Python data: depth scanned first, duplicate keys refused."""
    check_json_depth(text, what)
    bad: list[BadNumber] = []  # the tree is walked for their paths only when there is one

    def number(literal: str) -> int | float | BadNumber:
        found = parse_number(literal)
        if isinstance(found, BadNumber):
            bad.append(found)
        return found

    def constant(literal: str) -> BadNumber:
        bad.append(BadNumber(literal))
        return bad[-1]

    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=number,
            parse_float=number,
            parse_constant=constant,
        )
    except json.JSONDecodeError as error:
        raise MalformedInput(
            f"the {what} is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}",
            where=f"line {error.lineno}",
            allowed="JSON text; see docs/request-vocabulary.md",
        ) from None
    except _Duplicate:
        raise _json_duplicate(text) from None
    if bad:
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
    from refundable.core.yamlinput import load_yaml  # YAML needs the JSON gates' numbers

    return load_yaml(text, what)


# JSON when it opens like JSON ({"key" or [ or {}); a YAML flow mapping {key: v} stays YAML.
_JSON_START = re.compile(r'\s*(?:\{\s*["}]|\[)')
