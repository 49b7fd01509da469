"""Commands: frozen requests named in the policies' own vocabulary, checked on construction.

Every command that changes state carries an ``idempotency_key`` chosen by the caller (a retry
with the same payload returns the first result; the same key with another payload is
refused) and, where it moves money, ``at``: the business instant it takes effect. The bus, not
the handler, enforces both (see ``service.bus``).
"""

from __future__ import annotations

from refundable.ledger.holds import HoldResolution
from refundable.service.commands.base import Command
from refundable.service.commands.credits import (
    BuyCreditLot,
    ConsumeCredits,
    ExpireLots,
    FailUsage,
    ForfeitCredits,
    ForfeitReason,
    IngestUsage,
    PaidFrom,
)
from refundable.service.commands.money import (
    ChargeFee,
    DecideRefund,
    GrantAccountCredit,
    PayRefund,
    RecordCharge,
    RecordChargeback,
    RecordPayment,
    RegisterCustomer,
    ReleaseHold,
    ReverseEntry,
    TopUpMode,
    TopUpWallet,
    TransferWallet,
)
from refundable.service.commands.retention import (
    ErasePersonalData,
    RecordCustomerProfile,
    ScheduleRetention,
    WithdrawRetention,
)
from refundable.service.commands.scheduling import (
    CreateTestClock,
    MoveTestClock,
    RecordActionFailure,
    RunDueAction,
)
from refundable.service.commands.tenants import PublishPolicy

__all__ = [
    "BuyCreditLot",
    "ChargeFee",
    "Command",
    "ConsumeCredits",
    "CreateTestClock",
    "DecideRefund",
    "ErasePersonalData",
    "ExpireLots",
    "FailUsage",
    "ForfeitCredits",
    "ForfeitReason",
    "GrantAccountCredit",
    "HoldResolution",
    "IngestUsage",
    "MoveTestClock",
    "PaidFrom",
    "PayRefund",
    "PublishPolicy",
    "RecordActionFailure",
    "RecordCharge",
    "RecordChargeback",
    "RecordCustomerProfile",
    "RecordPayment",
    "RegisterCustomer",
    "ReleaseHold",
    "ReverseEntry",
    "RunDueAction",
    "ScheduleRetention",
    "TopUpMode",
    "TopUpWallet",
    "TransferWallet",
    "WithdrawRetention",
]
