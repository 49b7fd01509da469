"""JSON text for what the service stores, with the standard library's encoder built once.

``json.dumps(obj, sort_keys=True, default=str)`` builds a new encoder on every call when
given options (a ``JSONEncoder``, then its C encoder): on a case intake's sixteen small
documents that was half of the encoding time. These functions return exactly the text
``json.dumps`` returns with the same options (checked in ``tests/unit/core/test_jsontext.py``),
from encoders made once. The circular-reference check is off: what is stored here is built
by the service from plain dicts and lists, and a cycle would still fail (RecursionError)
rather than be written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from pydantic_core import to_json

# the C encoder the standard library itself uses (None without the accelerator)
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def _encoder(sort_keys: bool, default: Callable[[Any], Any] | None) -> Callable[[Any], str]:
    if _c_make_encoder is None:  # no C accelerator: the pure encoder, built once
        pure = json.JSONEncoder(sort_keys=sort_keys, default=default, check_circular=False)
        return pure.encode
    fallback = json.JSONEncoder().default  # the standard "is not JSON serializable" error
    chunks = _c_make_encoder(
        None, default or fallback, encode_basestring_ascii, None, ": ", ", ", sort_keys, False,
        True,
    )  # fmt: skip

    def encode(obj: Any) -> str:
        return "".join(chunks(obj, 0))

    return encode


sorted_text = _encoder(True, str)  # json.dumps(obj, sort_keys=True, default=str)
sorted_strict = _encoder(True, None)  # json.dumps(obj, sort_keys=True)
plain_text = _encoder(False, None)  # json.dumps(obj)


def compact_text(obj: Any) -> str:
    """Compact JSON in key order as given, UTF-8 kept (pydantic-core's serializer: about a
    third of the standard encoder's time on a decision's 9 kB); what JSON cannot hold is
    written as ``str`` of it. For documents read back only as JSON, never compared as text."""
    return to_json(obj, fallback=str).decode()
