"""One entry point for every ledger command: dispatch to its handler, retry transient
conflicts.

Handlers are plain functions ``(command, uow) -> Receipt``; the bus gives each attempt a fresh
unit of work, so a retried command starts from a clean transaction. Retries are bounded (a
limit on everything): after ``max_attempts`` the last conflict is raised.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from refundable.core.errors import Conflict
from refundable.service import commands as c
from refundable.service import credit_handlers as credits
from refundable.service import money_handlers as money
from refundable.service.common import Receipt
from refundable.service.ports import Retry, UnitOfWork

Handler = Callable[[Any, UnitOfWork], Receipt]

HANDLERS: dict[type, Handler] = {
    c.RegisterCustomer: money.register_customer,
    c.RecordCharge: money.record_charge,
    c.RecordPayment: money.record_payment,
    c.TopUpWallet: money.top_up_wallet,
    c.TransferWallet: money.transfer_wallet,
    c.PayRefund: money.pay_refund,
    c.GrantAccountCredit: money.grant_account_credit,
    c.ChargeFee: money.charge_fee,
    c.RecordChargeback: money.record_chargeback,
    c.ReleaseHold: money.release_hold,
    c.ReverseEntry: money.reverse_entry,
    c.BuyCreditLot: credits.buy_credit_lot,
    c.ConsumeCredits: credits.consume_credits,
    c.IngestUsage: credits.ingest_usage,
    c.FailUsage: credits.fail_usage,
    c.ExpireLots: credits.expire_lots,
    c.ForfeitCredits: credits.forfeit_credits,
}


class LedgerBus:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], max_attempts: int = 30) -> None:
        self.uow_factory = uow_factory
        self.max_attempts = max_attempts

    def handle(self, command: c.Command) -> Receipt:
        handler = HANDLERS[type(command)]
        for attempt in range(1, self.max_attempts + 1):
            try:
                return handler(command, self.uow_factory())
            except Retry as err:
                if attempt == self.max_attempts:
                    raise Conflict(
                        f"{type(command).__name__} kept colliding with concurrent work",
                        allowed=f"retry later; gave up after {attempt} attempts",
                    ) from err
                time.sleep(random.uniform(0, 0.002 * attempt))
        raise AssertionError("unreachable")
