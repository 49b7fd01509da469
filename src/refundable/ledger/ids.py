"""Ids the ledger derives from other ids (a hold named after its dispute, a reinstated lot
named after the lot and the failed event), kept inside ``limits.MAX_ID_LENGTH``.

A derived id is readable when it fits and a stable hash when it would not, so a caller's
64-character dispute id can never produce a 69-character hold id that the columns or the
id checks refuse later.
"""

from __future__ import annotations

import hashlib
import re

from refundable.core import limits

_ID = re.compile(limits.ID_PATTERN)


def derived_id(prefix: str, *parts: str) -> str:
    """``prefix-part1-part2`` when that is a valid id, else ``prefix-<sha256 prefix>``."""
    plain = "-".join((prefix, *parts))
    if _ID.match(plain):
        return plain
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}-{digest}"[: limits.MAX_ID_LENGTH]
