"""What the request gates cost, and that hostile input stays cheap to refuse.

Each case is parsed ``--rounds`` times (best time kept) through ``parse_request_text``, the
path every CLI and API request takes: a typical request (JSON and YAML), a valid request at
the size limit (``MAX_DOCUMENT_BYTES`` of evidence), and hostile inputs refused by the gates
(alias bomb, deep nesting, 5,000-digit number, a duplicate key at the end of a 1 MB file).
The limit each figure is compared with: the whole cold ``refundable decide`` budget (0.4 s,
docs/benchmarks.md), since a request is parsed once per decide.

    .venv/bin/python bench/request_input.py --rounds 5
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from refundable.core.errors import RefundableError
from refundable.core.limits import MAX_DOCUMENT_BYTES
from refundable.policy.requests import parse_request_text

LIMIT_S = 0.4
HEAD = "policy: conek\nrequested_at: 2026-03-02T10:00:00+02:00\nreason: duplicate_charge\n"
CHARGE = {"kind": "subscription", "amount": "499.00", "currency": "ZAR",
          "charged_at": "2026-03-01T10:00:00+02:00"}  # fmt: skip
TYPICAL = {"policy": "conek", "requested_at": "2026-03-02T10:00:00+02:00",
           "reason": "duplicate_charge", "charge": CHARGE}  # fmt: skip


def _bomb() -> str:
    text = HEAD + "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for x, prev in zip("bcdefgh", "abcdefg", strict=True):
        text += f"{x}: &{x} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    return text


def _big_valid() -> str:
    """Evidence items of 1,990 characters (under MAX_TEXT_LENGTH), about 500 of them (under
    MAX_LIST_ITEMS), filling the document to just under MAX_DOCUMENT_BYTES."""
    item = '"' + "d" * 1990 + '", '
    count = (MAX_DOCUMENT_BYTES - 400) // len(item)
    return json.dumps(TYPICAL)[:-1] + ', "evidence": [' + item * (count - 1) + '"x"]}'


CASES: dict[str, str] = {
    "typical request, JSON": json.dumps(TYPICAL),
    "typical request, YAML": HEAD + "charge: " + json.dumps(CHARGE) + "\n",
    "valid request near 1 MB (evidence list)": "",  # filled in main (slow to build)
    "alias bomb (9^8 values), refused": _bomb(),
    "nesting 100,000 deep, refused": '{"evidence": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "5,000-digit amount, refused": json.dumps(TYPICAL).replace('"499.00"', "9" * 5000),
    "duplicate key after 1 MB of JSON, refused": "",
}


def _time(text: str, rounds: int) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(rounds):
        t0 = time.perf_counter()
        try:
            parse_request_text(text)
            outcome = "parsed"
        except RefundableError as error:
            outcome = error.code
        best = min(best, time.perf_counter() - t0)
    return best, outcome


def main(run: Callable[[str, int], tuple[float, str]] = _time) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    big = _big_valid()
    CASES["valid request near 1 MB (evidence list)"] = big
    CASES["duplicate key after 1 MB of JSON, refused"] = big[:-1] + ', "reason": "x"}'
    print(f"| case | bytes | outcome | best of {rounds} | limit | ratio |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for name, text in CASES.items():
        seconds, outcome = run(text, rounds)
        print(
            f"| {name} | {len(text.encode()):,} | {outcome} | {seconds * 1000:.2f} ms "
            f"| {LIMIT_S * 1000:.0f} ms | {seconds / LIMIT_S:.4f} |"
        )


if __name__ == "__main__":
    main()
