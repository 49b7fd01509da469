"""Commands: frozen requests named in the policies' own vocabulary, checked on construction.

Every command that changes state carries an ``idempotency_key`` chosen by the caller (a retry
with the same payload returns the first result; the same key with another payload is
refused) and, where it moves money, ``at``: the business instant it takes effect. The bus, not
the handler, enforces both (see ``service.bus``).
"""

from __future__ import annotations

from refundable.ledger.holds import HoldResolution
from refundable.service.commands.base import Command
from refundable.service.commands.cases import (
    AcceptSettlement,
    AppealCase,
    EscalateCase,
    JudgeCase,
    OpenCase,
    OverrideDecision,
    ProvideInformation,
    RecordCasePaid,
    ResolveDispute,
    UpholdDecision,
    WithdrawCase,
)
from refundable.service.commands.charges import (
    AttachPaymentMethod,
    ChargePurpose,
    RecordGatewayCharge,
    RemovePaymentMethod,
)
from refundable.service.commands.checkpoints import ScheduleCheckpoints
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
from refundable.service.commands.payouts import (
    FanOutWebhook,
    RecordGatewayRefund,
    RedirectPayout,
    RegisterWebhookEndpoint,
    RequestPayout,
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
    RunDueBatch,
)
from refundable.service.commands.subscriptions import (
    ApplyPromotion,
    CancelSubscription,
    DefinePlan,
    DefinePromotion,
    DiscontinueService,
    DowngradePlan,
    ReactivateSubscription,
    RecordPaymentFailure,
    RecordRenewalPayment,
    StartTrial,
    Subscribe,
    SuspendSubscription,
    TerminateSubscription,
    UndoCancellation,
    UpgradePlan,
    WithdrawDowngrade,
)
from refundable.service.commands.tenants import PublishPolicy
from refundable.service.commands.usage import BillOverage, DisputeUsageCharge

__all__ = [
    "AcceptSettlement",
    "AppealCase",
    "ApplyPromotion",
    "AttachPaymentMethod",
    "BillOverage",
    "BuyCreditLot",
    "CancelSubscription",
    "ChargeFee",
    "ChargePurpose",
    "Command",
    "ConsumeCredits",
    "CreateTestClock",
    "DecideRefund",
    "DefinePlan",
    "DefinePromotion",
    "DiscontinueService",
    "DisputeUsageCharge",
    "DowngradePlan",
    "ErasePersonalData",
    "EscalateCase",
    "ExpireLots",
    "FailUsage",
    "FanOutWebhook",
    "ForfeitCredits",
    "ForfeitReason",
    "GrantAccountCredit",
    "HoldResolution",
    "IngestUsage",
    "JudgeCase",
    "MoveTestClock",
    "OpenCase",
    "OverrideDecision",
    "PaidFrom",
    "PayRefund",
    "ProvideInformation",
    "PublishPolicy",
    "ReactivateSubscription",
    "RecordActionFailure",
    "RecordCasePaid",
    "RecordCharge",
    "RecordChargeback",
    "RecordCustomerProfile",
    "RecordGatewayCharge",
    "RecordGatewayRefund",
    "RecordPayment",
    "RecordPaymentFailure",
    "RecordRenewalPayment",
    "RedirectPayout",
    "RegisterCustomer",
    "RegisterWebhookEndpoint",
    "ReleaseHold",
    "RemovePaymentMethod",
    "RequestPayout",
    "ResolveDispute",
    "ReverseEntry",
    "RunDueAction",
    "RunDueBatch",
    "ScheduleCheckpoints",
    "ScheduleRetention",
    "StartTrial",
    "Subscribe",
    "SuspendSubscription",
    "TerminateSubscription",
    "TopUpMode",
    "TopUpWallet",
    "TransferWallet",
    "UndoCancellation",
    "UpgradePlan",
    "UpholdDecision",
    "WithdrawCase",
    "WithdrawDowngrade",
    "WithdrawRetention",
]
