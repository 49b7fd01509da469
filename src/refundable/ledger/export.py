"""Journal export: CSV (one row per line, reads back into the same entries) and Beancount.

Beancount is the accountant's check: if ``bean-check`` accepts the file, every transaction
balances per commodity in a tool we did not write. Account names map to Beancount's roots
(``Liabilities:Wallet:C1:ZAR``); ids that Beancount would not accept as a name component are
made safe and suffixed with a short hash, so two ids never collapse into one account.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo

from refundable.core.errors import InputError
from refundable.ledger.accounts import AccountKey, scale_of, to_units
from refundable.ledger.entries import EntryKind, JournalEntry, Line

CSV_FIELDS = (
    "tenant_id",
    "entry_id",
    "effective_at",
    "kind",
    "ref",
    "reverses",
    "memo",
    "meta",
    "line_no",
    "account",
    "commodity",
    "amount",
    "lot_id",
)


def report_order(entry: JournalEntry) -> tuple[datetime, int, str]:
    """Oldest first; at one instant a charge comes before the payment that settles it (and
    before anything else booked at that instant), whatever order the ids happen to have."""
    return (entry.effective_at, 0 if entry.kind is EntryKind.charge else 1, entry.entry_id)


def to_csv(entries: Iterable[JournalEntry], zone: tzinfo = UTC) -> str:
    """One row per line; ``effective_at`` in the tenant's local time with its UTC offset, so
    a person reads local times and a program still gets the exact instant."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for e in entries:
        meta = json.dumps(dict(e.meta), sort_keys=True) if e.meta else ""
        for i, line in enumerate(e.lines):
            writer.writerow(
                [
                    e.tenant_id,
                    e.entry_id,
                    e.effective_at.astimezone(zone).isoformat(),
                    e.kind.value,
                    e.ref or "",
                    e.reverses or "",
                    e.memo,
                    meta,
                    i,
                    line.account.code,
                    line.commodity,
                    to_units(line.amount, line.commodity),
                    line.lot_id or "",
                ]
            )
    return out.getvalue()


def to_json(entries: Iterable[JournalEntry], zone: tzinfo = UTC) -> str:
    """The journal as a JSON array: one object per entry with its lines, amounts as decimal
    strings in the commodity (never floats), instants in the tenant's local time."""
    body = [
        {
            "entry_id": e.entry_id,
            "tenant_id": e.tenant_id,
            "effective_at": e.effective_at.astimezone(zone).isoformat(),
            "kind": e.kind.value,
            "ref": e.ref,
            "reverses": e.reverses,
            "memo": e.memo,
            "meta": dict(e.meta),
            "lines": [
                {
                    "account": line.account.code,
                    "commodity": line.commodity,
                    "amount": str(to_units(line.amount, line.commodity)),
                    "lot_id": line.lot_id,
                }
                for line in e.lines
            ],
        }
        for e in entries
    ]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def from_csv(text: str) -> list[JournalEntry]:
    """Read a CSV export back into entries (checked again: they must still balance)."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_FIELDS:
        raise InputError("not a ledger CSV export", where="header", allowed=",".join(CSV_FIELDS))
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in reader:
        grouped.setdefault(row["entry_id"], []).append(row)
    return [_entry_from_rows(rows) for rows in grouped.values()]


def _entry_from_rows(rows: Sequence[dict[str, str]]) -> JournalEntry:
    head = rows[0]
    lines = []
    for r in sorted(rows, key=lambda r: int(r["line_no"])):
        account = AccountKey.parse(r["account"])
        amount = int(_decimal_units(r["amount"], account.commodity))
        lines.append(Line(account, amount, r["lot_id"] or None))
    return JournalEntry(
        head["entry_id"],
        head["tenant_id"],
        EntryKind(head["kind"]),
        datetime.fromisoformat(head["effective_at"]),
        tuple(lines),
        head["memo"],
        head["ref"] or None,
        head["reverses"] or None,
        json.loads(head["meta"]) if head["meta"] else {},
    )


def _decimal_units(text: str, commodity: str) -> int:
    from decimal import Decimal

    value = Decimal(text).scaleb(scale_of(commodity))
    if value != value.to_integral_value():
        raise InputError(f"{text} has too many decimals for {commodity}", where="amount")
    return int(value)


_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9\-]*$")


def _component(text: str) -> str:
    if _COMPONENT.match(text):
        return text
    safe = re.sub(r"[^A-Za-z0-9\-]", "-", text)
    safe = safe[:1].upper() + safe[1:]
    if not safe[:1].isalnum():
        safe = "X" + safe
    return f"{safe}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"


def beancount_account(key: AccountKey) -> str:
    spec = key.kind.spec
    parts = [spec.root.value, spec.label]
    if key.owner is not None:
        parts.append(_component(key.owner))
    parts.append(key.commodity)
    return ":".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_beancount(
    entries: Sequence[JournalEntry], title: str = "Refundable ledger", zone: tzinfo = UTC
) -> str:
    """Beancount text: one ``open`` per account (at its first use) and one transaction per
    entry, carrying the entry id, kind and links as metadata.

    Beancount knows dates, not instants: each entry is dated by its local day in ``zone`` (the
    tenant's), so a payment at 00:30 on 1 April in Johannesburg (22:30 UTC on 31 March) is in
    April's books, as the business sees it; the instant itself is kept as ``at`` metadata.
    """
    ordered = sorted(entries, key=report_order)
    opened: dict[str, tuple[str, str]] = {}
    for e in ordered:
        for line in e.lines:
            name = beancount_account(line.account)
            opened.setdefault(name, (_local_day(e, zone), line.commodity))
    out = [f'option "title" {_quote(title)}', ""]
    out += [f"{day} open {name} {commodity}" for name, (day, commodity) in opened.items()]
    for e in ordered:
        out += [
            "",
            f"{_local_day(e, zone)} * {_quote(e.memo or e.kind.value)}",
            f"  at: {_quote(e.effective_at.astimezone(zone).isoformat())}",
            f"  entry_id: {_quote(e.entry_id)}",
            f"  kind: {_quote(e.kind.value)}",
        ]
        if e.ref:
            out.append(f"  ref: {_quote(e.ref)}")
        if e.reverses:
            out.append(f"  reverses: {_quote(e.reverses)}")
        for line in e.lines:
            amount = to_units(line.amount, line.commodity)
            out.append(f"  {beancount_account(line.account)}  {amount} {line.commodity}")
            if line.lot_id:
                out.append(f"    lot: {_quote(line.lot_id)}")
    return "\n".join(out) + "\n"


def _local_day(entry: JournalEntry, zone: tzinfo) -> str:
    return entry.effective_at.astimezone(zone).date().isoformat()
