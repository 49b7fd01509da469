"""Guards for text that arrives from outside (policy files, request bodies) before any parser.

A parser given a 2 GB file, a binary blob, or ten thousand nested brackets either runs out of
memory, raises an error outside our tree (``UnicodeDecodeError``, ``RecursionError``) or crashes
the interpreter's C stack. These checks run first, on the raw bytes or text, so every parser
behind them only ever sees bounded, decoded UTF-8: size (``MAX_DOCUMENT_BYTES``), encoding (with
the line of the first bad byte) and bracket nesting for JSON (``MAX_NESTING_DEPTH``). Each
failure is an ``InputError`` saying where and what is allowed; nothing of the input is echoed
beyond ``limits.echo``.
"""

from __future__ import annotations

import re
from pathlib import Path

from refundable.core import limits
from refundable.core.errors import InputError

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_size(size: int, where: str) -> None:
    """Refuse a document over MAX_DOCUMENT_BYTES before reading or parsing it."""
    if size > limits.MAX_DOCUMENT_BYTES:
        raise InputError(
            f"the document is {size:,} bytes, too large to read",
            where=where,
            allowed=f"at most {limits.MAX_DOCUMENT_BYTES:,} bytes",
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
    found = _CONTROL.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise InputError(
            f"control character U+{ord(found.group()):04X} in the text (is this a binary file?)",
            where=f"{where}:{line}",
            allowed="printable text, tabs and line breaks",
        )


def printable(text: str) -> str:
    """``text`` with every control character shown as '?', safe to print to a terminal."""
    return _CONTROL.sub("?", text)


def read_text(path: Path, where: str | None = None) -> str:
    """Read a text file with the guards above; OSError becomes an InputError."""
    name = where or str(path)
    try:
        check_size(path.stat().st_size, name)
        with path.open("rb") as handle:
            data = handle.read(limits.MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror or error}", where=name) from None
    return decode_utf8(data, name)


def check_json_depth(text: str, where: str) -> None:
    """Refuse JSON nested deeper than MAX_NESTING_DEPTH before ``json.loads`` recurses into it
    (strings are skipped, so brackets inside them do not count)."""
    depth = 0
    in_string = escaped = False
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limits.MAX_NESTING_DEPTH:
                line = text.count("\n", 0, index) + 1
                raise InputError(
                    f"nested more than {limits.MAX_NESTING_DEPTH} levels deep",
                    where=f"{where}:{line}",
                    allowed=f"at most {limits.MAX_NESTING_DEPTH} levels of nesting",
                )
        elif ch in "]}":
            depth -= 1
