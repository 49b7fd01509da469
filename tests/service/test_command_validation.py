# ruff: noqa: E501  (one bad command per line reads as a table)
"""Commands check themselves on construction against the table of limits: a bad command is
an InputError naming the field and what is allowed, and never reaches a handler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from fakes import T0, TENANT, zar
from refundable.core import limits
from refundable.core.errors import InputError
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger.lots import LotSource
from refundable.ledger.usage import UsageEvent
from refundable.service import commands as c

LONG = "x" * (limits.MAX_ID_LENGTH + 1)
BAD: list[tuple[str, Callable[[], object]]] = [
    ("RecordCharge.amount", lambda: c.RecordCharge(TENANT, "k", "i", "C1", zar("0"), T0)),
    ("RecordCharge.amount", lambda: c.RecordCharge(TENANT, "k", "i", "C1", zar("-1"), T0)),
    ("RecordCharge.amount", lambda: c.RecordCharge(TENANT, "k", "i", "C1", zar("1.001"), T0)),
    ("RecordCharge.amount", lambda: c.RecordCharge(TENANT, "k", "i", "C1", Money(Decimal("1e15"), "ZAR"), T0)),
    ("RecordCharge.customer_id", lambda: c.RecordCharge(TENANT, "k", "i", "bad id!", zar("1"), T0)),
    ("RecordCharge.charge_id", lambda: c.RecordCharge(TENANT, "k", LONG, "C1", zar("1"), T0)),
    ("RecordCharge.idempotency_key", lambda: c.RecordCharge(TENANT, "", "i", "C1", zar("1"), T0)),
    ("RecordCharge.tenant_id", lambda: c.RecordCharge(LONG, "k", "i", "C1", zar("1"), T0)),
    ("RecordCharge.at", lambda: c.RecordCharge(TENANT, "k", "i", "C1", zar("1"), T0.replace(tzinfo=None))),
    ("RecordCharge.at", lambda: c.RecordCharge(TENANT, "k", "i", "C1", zar("1"), datetime(2300, 1, 1, tzinfo=T0.tzinfo))),
    ("RecordCharge.memo", lambda: c.RecordCharge(TENANT, "k", "i", "C1", zar("1"), T0, "m" * 2001)),
    ("RecordPayment.method", lambda: c.RecordPayment(TENANT, "k", "p", "C1", zar("1"), "card", "s", T0)),  # type: ignore[arg-type]
    ("BuyCreditLot.units", lambda: c.BuyCreditLot(TENANT, "k", "L", "C1", 0, zar("1"), LotSource.purchase, T0)),
    ("BuyCreditLot.units", lambda: c.BuyCreditLot(TENANT, "k", "L", "C1", limits.MAX_UNITS, zar("1"), LotSource.purchase, T0)),
    ("BuyCreditLot.priority", lambda: c.BuyCreditLot(TENANT, "k", "L", "C1", 1, zar("1"), LotSource.purchase, T0, priority=2**31)),
    ("BuyCreditLot.unit", lambda: c.BuyCreditLot(TENANT, "k", "L", "C1", 1, zar("1"), LotSource.purchase, T0, unit="XYZ")),
    ("ReleaseHold.resolution", lambda: c.ReleaseHold(TENANT, "k", "h", T0, "won")),  # type: ignore[arg-type]
    ("event ev.units", lambda: c.IngestUsage(TENANT, (UsageEvent("ev", "C1", -1, T0),), T0)),
    ("events.event_id", lambda: c.IngestUsage(TENANT, (UsageEvent(LONG, "C1", 1, T0),), T0)),
    ("IngestUsage.events", lambda: c.IngestUsage(TENANT, (UsageEvent("e", "C1", 1, T0),) * (limits.MAX_BATCH_EVENTS + 1), T0)),
    ("DecideRefund.request", lambda: c.DecideRefund(TENANT, "k", "d", "C1", {"policy": "conek"})),  # type: ignore[arg-type]
    ("PublishPolicy.text", lambda: c.PublishPolicy(TENANT, "k", "x" * (limits.MAX_DOCUMENT_BYTES + 1))),
]  # fmt: skip


@pytest.mark.parametrize(("where", "make"), BAD, ids=[f"{i}-{w}" for i, (w, _) in enumerate(BAD)])
def test_a_bad_command_is_refused_when_built(where: str, make: Callable[[], object]) -> None:
    with pytest.raises(InputError) as info:
        make()
    assert info.value.where == where and info.value.allowed
    assert len(info.value.message) < limits.MAX_TEXT_LENGTH  # never echoes unbounded input


def test_a_good_command_builds() -> None:
    cmd = c.RecordPayment(TENANT, "k", "p", "C1", zar("1"), Method.account_credit, None, T0)
    assert cmd.business_keys() == [("payment", "p")]
