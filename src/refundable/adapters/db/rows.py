"""Conversions between domain records and table rows (instants as UTC microseconds)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from refundable.core.methods import Method
from refundable.core.time import UTC, require_aware
from refundable.ledger.accounts import AccountKey
from refundable.ledger.entries import EntryKind, JournalEntry, Line
from refundable.ledger.holds import Hold
from refundable.ledger.lots import CreditLot, LotSource, LotStatus
from refundable.ledger.payments import Payment

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(at: datetime) -> int:
    return (require_aware(at, "instant") - EPOCH) // _US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def maybe_us(at: datetime | None) -> int | None:
    """An optional instant's column value (NULL for None)."""
    return None if at is None else to_us(at)


def maybe_at(us: int | None) -> datetime | None:
    return None if us is None else from_us(us)


def entry_row(e: JournalEntry, recorded_us: int, idem_key: str | None) -> dict[str, Any]:
    return {
        "tenant_id": e.tenant_id,
        "entry_id": e.entry_id,
        "kind": e.kind.value,
        "effective_us": to_us(e.effective_at),
        "recorded_us": recorded_us,
        "memo": e.memo,
        "ref": e.ref,
        "reverses": e.reverses,
        "idem_key": idem_key,
        "meta": json.dumps(dict(e.meta), sort_keys=True) if e.meta else None,
    }


def line_rows(e: JournalEntry) -> list[dict[str, Any]]:
    effective_us = to_us(e.effective_at)  # copied onto each line: statement pages (ADR 0045)
    return [
        {
            "tenant_id": e.tenant_id,
            "entry_id": e.entry_id,
            "line_no": i,
            "account": line.account.code,
            "commodity": line.commodity,
            "amount": line.amount,
            "lot_id": line.lot_id,
            "effective_us": effective_us,
        }
        for i, line in enumerate(e.lines)
    ]


def entry_from(row: Any, line_rows_: Iterable[Any]) -> JournalEntry:
    lines = tuple(
        Line(AccountKey.parse(r["account"]), int(r["amount"]), r["lot_id"])
        for r in sorted(line_rows_, key=lambda r: int(r["line_no"]))
    )
    return JournalEntry(
        row["entry_id"],
        row["tenant_id"],
        EntryKind(row["kind"]),
        from_us(row["effective_us"]),
        lines,
        row["memo"],
        row["ref"],
        row["reverses"],
        json.loads(row["meta"]) if row["meta"] else {},
    )


def lot_row(lot: CreditLot, entry_id: str) -> dict[str, Any]:
    return {
        "tenant_id": lot.tenant_id,
        "lot_id": lot.lot_id,
        "customer_id": lot.customer_id,
        "unit": lot.unit,
        "units": lot.units,
        "remaining": lot.remaining,
        "price_minor": lot.price_minor,
        "currency": lot.currency,
        "value_left_minor": lot.value_left_minor,
        "valid_until_us": to_us(lot.valid_until),
        "source": lot.source.value,
        "acquired_us": to_us(lot.acquired_at),
        "priority": lot.priority,
        "status": lot.status.value,
        "entry_id": entry_id,
    }


def lot_from(r: Any) -> CreditLot:
    return CreditLot(
        r["lot_id"],
        r["tenant_id"],
        r["customer_id"],
        r["unit"],
        int(r["units"]),
        int(r["remaining"]),
        int(r["price_minor"]),
        r["currency"],
        int(r["value_left_minor"]),
        from_us(r["valid_until_us"]),
        LotSource(r["source"]),
        from_us(r["acquired_us"]),
        int(r["priority"]),
        LotStatus(r["status"]),
    )


def payment_row(p: Payment) -> dict[str, Any]:
    return {
        "tenant_id": p.tenant_id,
        "payment_id": p.payment_id,
        "customer_id": p.customer_id,
        "amount_minor": p.amount_minor,
        "currency": p.currency,
        "method": p.method.value,
        "provider": p.provider,
        "source_account": p.source.code,
        "funded_account": p.funded.code,
        "entry_id": p.entry_id,
        "paid_us": to_us(p.paid_at),
        "refunded_minor": p.refunded_minor,
        "charged_back_minor": p.charged_back_minor,
    }


def payment_from(r: Any) -> Payment:
    return Payment(
        r["payment_id"],
        r["tenant_id"],
        r["customer_id"],
        int(r["amount_minor"]),
        r["currency"],
        Method(r["method"]),
        r["provider"],
        AccountKey.parse(r["source_account"]),
        AccountKey.parse(r["funded_account"]),
        r["entry_id"],
        from_us(r["paid_us"]),
        int(r["refunded_minor"]),
        int(r["charged_back_minor"]),
    )


def hold_from(r: Any, released_us: int | None, resolution: str | None) -> Hold:
    """A hold row, with its release (if any) from the append-only hold_releases table."""
    return Hold(
        r["hold_id"],
        r["customer_id"],
        r["reason"],
        r["payment_id"],
        r["dispute_id"],
        from_us(r["placed_us"]),
        None if released_us is None else from_us(released_us),
        resolution,
    )
