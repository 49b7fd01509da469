"""The payout worker's settled-payout hook moves a paying case to paid, in the worker's
transaction, once (the contract of ADR 0055)."""

from __future__ import annotations

from datetime import datetime

from casefakes import (
    Reason,
    Subject,
    case_of,
    charge_and_pay,
    days,
    kinds,
    open_case,
    outbox_for,
    policy_tenant,
    zar,
)
from refundable.bootstrap import MEMORY_URL, bootstrap
from refundable.core.time import UTC, FixedClock
from refundable.service.common import Context
from refundable.service.payouts import PAYOUT_SETTLED_HOOKS, PayoutSettled, run_settled_hooks

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_settled_hook_marks_the_case_paid_once() -> None:
    from refundable.service import case_steps

    assert case_steps.on_payout_settled in PAYOUT_SETTLED_HOOKS
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    tenant = policy_tenant(app, "conek")
    ch, p = charge_and_pay(app, tenant, "C1", zar("499.00"), T0)
    info = {"account": "c1@acme.test", "explanation": "twice"}
    case_id, r = open_case(app, tenant, "C1", Subject.charge, ch, Reason.duplicate_charge, T0,
                           information=info, facts={"charge": {"kind": "subscription"}},
                           payment_id=p)  # fmt: skip
    assert r.details["state"] == "paying"
    [payout] = outbox_for(app, tenant, case_id, "payout")
    settled = PayoutSettled(tenant, "po1", case_id, "C1", p, payout["decision_id"],
                            zar("499.00"), "sandbox", "re_1", T0 + days(3), "e1")  # fmt: skip
    for _ in range(2):  # a second delivery of the same settlement changes nothing
        with app.bus.uow_factory() as uow:
            ctx = Context(uow.repositories(tenant), app.catalog, "settle-po1", T0 + days(3))
            run_settled_hooks(settled, ctx)
            uow.commit()
    assert case_of(app, tenant, case_id).state.value == "paid"
    assert kinds(app, tenant, case_id).count("paid") == 1
    [mail] = [m for m in outbox_for(app, tenant, case_id, "email") if "was paid" in m["subject"]]
    assert "re_1" in mail["text"]
