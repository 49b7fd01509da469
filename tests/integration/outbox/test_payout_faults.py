"""Every approved payout is paid once with the sandbox gateway misbehaving (issue 10, "done
when"): calls time out before and after the refund is made, settlement is slow, and every
callback comes twice and newest first, delivered between the worker's passes. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

from outbox_kit import PAID_AT, approved_payout, drain, refund_entries, sandbox, senders
from refundable.adapters.payments.sandbox import Faults
from refundable.bootstrap import App
from refundable.service.outbox import RetryPolicy
from refundable.service.outbox_senders import apply_gateway_answer
from refundable.service.outbox_store import MessageState
from refundable.service.ports import GatewayRefund

PAYOUTS = 12
FAULTS = Faults(timeout_before=0.3, timeout_after=0.3, slow_polls=2, duplicate_callbacks=True,
                reorder_callbacks=True, seed=10)  # fmt: skip
POLICY = RetryPolicy(first=timedelta(minutes=1), poll=timedelta(minutes=30), max_failures=30)


def test_every_payout_is_paid_once_through_timeouts_and_duplicate_callbacks(
    app: App, tenant: str, tmp_path: Path
) -> None:
    assert app.outbox is not None
    gw = sandbox(tmp_path)
    gw.set_faults(FAULTS)
    for n in range(PAYOUTS):
        approved_payout(app, tenant, f"{tenant}-k{n:02}", "25.00", cid=f"C{n:02}")
    now, delivered = PAID_AT, 0
    for _ in range(60):
        drain(app, senders(gw), now, tenant, POLICY)
        for cb in gw.take_callbacks():
            heard = GatewayRefund(cb.refund_id, cb.status, cb.failure_reason)
            apply_gateway_answer(app.bus, tenant, cb.metadata["payout_id"], heard, now)
            delivered += 1
        if not app.outbox.messages(tenant, MessageState.pending):
            break
        now += timedelta(hours=1)
    payouts = app.outbox.payouts(tenant)
    assert len(payouts) == PAYOUTS and {p.state.value for p in payouts} == {"settled"}
    made = Counter(json.loads(r["metadata"])["payout_id"] for r in gw.refunds()
                   if json.loads(r["metadata"])["tenant_id"] == tenant)  # fmt: skip
    assert made == {p.payout_id: 1 for p in payouts}
    assert len(refund_entries(app, tenant)) == PAYOUTS
    assert app.outbox.messages(tenant, MessageState.dead) == []
    outcomes = Counter(o for _, _, o in gw.calls())
    assert outcomes["timeout_before"] > 0 and outcomes["timeout_after"] > 0  # faults did fire
    assert delivered >= 2 * PAYOUTS  # duplicated callbacks were applied, and changed nothing
