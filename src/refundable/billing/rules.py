"""The lifecycle rules of one policy, as the transitions read them.

Each rule carries the clause of the source policy it implements, so that every effect the
transitions produce can cite it. A policy's ``lifecycle:`` section compiles into
:class:`LifecycleRules`; the code has no per-tenant branch. Absent parts (``None``) mean the
policy does not offer that path, and an event asking for it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from refundable.core.errors import InputError
from refundable.core.limits import MAX_DUNNING_STEPS, MAX_LIFECYCLE_DAYS
from refundable.core.money import Money


class DowngradeMode(Enum):
    """When a downgrade happens and what the customer gets for the price difference."""

    end_of_cycle_no_refund = "end_of_cycle_no_refund"  # Conek 6.1
    pro_rata_credit_next_cycle = "pro_rata_credit_next_cycle"  # MyProtektor 4.2/4.3


class ReactivationMode(Enum):
    """Whether a cancelled customer comes back to the old subscription or starts a new one."""

    new_subscription = "new_subscription"  # Conek 3.4
    within_retention = "within_retention"  # MyProtektor 5.3


def _days(value: int | None, where: str) -> None:
    if value is not None and not 0 <= value <= MAX_LIFECYCLE_DAYS:
        raise InputError(
            f"{value} days is out of range", where=where, allowed=f"0 to {MAX_LIFECYCLE_DAYS}"
        )


@dataclass(frozen=True, slots=True)
class UpgradeRule:
    clause: str
    immediate: bool = True
    prorate_difference: bool = True


@dataclass(frozen=True, slots=True)
class DowngradeRule:
    clause: str
    mode: DowngradeMode
    credits_transfer: bool = False


@dataclass(frozen=True, slots=True)
class CancellationRule:
    """``annual_notice_days``: notice before an annual renewal, else the following one runs.
    ``early_termination_charge``: a named parameter, since no source publishes an amount;
    ``None`` means immediate cancellation is not offered."""

    clause: str
    annual_notice_days: int | None = None
    notice_clause: str | None = None
    early_termination_charge: Money | None = None
    immediate_clause: str | None = None
    cooling_off_days: int | None = None
    cooling_off_clause: str | None = None
    fees_due_clause: str | None = None  # fees billed before cancelling stay payable (Kelbix)

    def __post_init__(self) -> None:
        _days(self.annual_notice_days, "lifecycle.cancellation.annual_notice_days")
        _days(self.cooling_off_days, "lifecycle.cancellation.cooling_off_days")


@dataclass(frozen=True, slots=True)
class TrialRule:
    clause: str
    credits_clause: str
    card_required: bool = False
    charge_at_end: bool = False
    credits_roll_into_paid: bool = False


@dataclass(frozen=True, slots=True)
class SuspensionRule:
    """Dunning after a failed payment: notices on the given days, suspension after grace."""

    clause: str
    grace_days: int
    dunning_notice_days: tuple[int, ...] = (0,)
    exempt_features: frozenset[str] = field(default_factory=frozenset)
    exempt_clause: str | None = None
    pay_all_outstanding_to_reactivate: bool = True

    def __post_init__(self) -> None:
        _days(self.grace_days, "lifecycle.suspension.grace_days")
        if len(self.dunning_notice_days) > MAX_DUNNING_STEPS:
            raise InputError(
                "too many dunning notices",
                where="lifecycle.suspension.dunning_notice_days",
                allowed=f"at most {MAX_DUNNING_STEPS}",
            )
        for day in self.dunning_notice_days:
            _days(day, "lifecycle.suspension.dunning_notice_days")


@dataclass(frozen=True, slots=True)
class TerminationRule:
    clause: str
    credits_forfeited: bool = True
    access_ends_now: bool = True


@dataclass(frozen=True, slots=True)
class ReactivationRule:
    clause: str
    mode: ReactivationMode
    credits_carried_over: bool = False


class RetentionTrigger(Enum):
    """What starts a retention period: the account's suspension, cancellation or termination."""

    suspension = "suspension"
    cancellation = "cancellation"
    termination = "termination"


@dataclass(frozen=True, slots=True)
class Retention:
    """Days personal data is kept after each trigger, and the clause that says so. ``None``
    days: the policy states no period, so nothing is purged automatically (ADR 0049)."""

    after_suspension_days: int | None
    suspension_clause: str | None
    after_cancellation_days: int | None
    cancellation_clause: str | None
    after_termination_days: int | None
    termination_clause: str | None

    def __post_init__(self) -> None:
        _days(self.after_suspension_days, "lifecycle.retention.after_suspension_days")
        _days(self.after_cancellation_days, "lifecycle.retention.after_cancellation_days")
        _days(self.after_termination_days, "lifecycle.retention.after_termination_days")

    def period(self, trigger: RetentionTrigger) -> tuple[int, str] | None:
        """(days, clause) kept after ``trigger``, or None when the policy states no period."""
        days, clause = {
            RetentionTrigger.suspension: (self.after_suspension_days, self.suspension_clause),
            RetentionTrigger.cancellation: (
                self.after_cancellation_days,
                self.cancellation_clause,
            ),
            RetentionTrigger.termination: (self.after_termination_days, self.termination_clause),
        }[trigger]
        return None if days is None or clause is None else (days, clause)


NO_RETENTION = Retention(None, None, None, None, None, None)


@dataclass(frozen=True, slots=True)
class EntitlementRule:
    """Each plan unlocks its own features and a maximum of active seats (MyProtektor 2.2)."""

    clause: str
    features_by_plan: bool = True
    seat_limits: bool = True


@dataclass(frozen=True, slots=True)
class UsageRule:
    """Usage beyond a plan's allowance is charged at its published unit rates (MyProtektor
    6.1); disputes of such charges are decided by the policy's rules (6.2)."""

    clause: str
    dispute_clause: str | None = None


class PrepaidTreatment(Enum):
    """What prepaid time that a discontinuation takes away returns to the customer."""

    refund_pro_rata = "refund_pro_rata"  # money back (MyProtektor 10.2)
    credit_pro_rata = "credit_pro_rata"
    none = "none"


@dataclass(frozen=True, slots=True)
class DiscontinuationRule:
    """Ending a plan or the whole service: at least ``notice_days`` after subscribers are
    told, with reminders ``reminder_days`` before the end (MyProtektor 10.2)."""

    clause: str
    notice_days: int
    prepaid: PrepaidTreatment
    reminder_days: tuple[int, ...] = ()
    also_cites: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _days(self.notice_days, "lifecycle.discontinuation.notice_days")
        for day in self.reminder_days:
            _days(day, "lifecycle.discontinuation.reminder_days")


class Stacking(Enum):
    """Whether a second promotional offer may apply while one runs (Conek 5.2)."""

    never = "never"
    when_offer_states = "when_offer_states"
    always = "always"


@dataclass(frozen=True, slots=True)
class PromotionRule:
    """Promotional discounts (``clause``) and credits (``credits_clause``): offers combine
    only as ``stacking`` says; promotional credits have no cash value, lapse at the end of
    their promotional period and, unless ``credits_roll_into_paid``, with a change of plan."""

    clause: str
    credits_clause: str
    stacking: Stacking = Stacking.never
    credits_roll_into_paid: bool = False


@dataclass(frozen=True, slots=True)
class LifecycleRules:
    """Everything the transitions need to know about one policy's lifecycle."""

    currency: str
    billing_clause: str
    upgrade: UpgradeRule
    downgrade: DowngradeRule
    cancellation: CancellationRule
    trial: TrialRule | None  # None: the policy offers no trials
    suspension: SuspensionRule
    termination: TerminationRule | None  # None: the policy states no termination terms
    reactivation: ReactivationRule
    retention: Retention
    entitlements: EntitlementRule | None = None  # None: plans gate no feature or seat
    usage: UsageRule | None = None  # None: the policy bills no overage
    discontinuation: DiscontinuationRule | None = None  # None: no terms for ending the service
    promotions: PromotionRule | None = None  # None: the policy offers no promotions
