"""Refund-case commands: open a case, answer what it asks, judge, override, withdraw,
appeal, accept a settlement, and the payout's settlement.

No field carries a policy judgement: what must be asked, which outcomes apply at once, the
deadlines, whether an appeal is possible and what the money is all come from the tenant's
policy version in force at the case's receipt. ``facts`` carries only what the store cannot
know (e.g. what the charge was for, an incident); a fact the store holds cannot be retyped.
``actor`` says who acted ("customer:C1", "agent:alice", "system"), kept on every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from refundable.cases.model import Subject
from refundable.core import limits
from refundable.core.money import Money
from refundable.ledger.holds import HoldResolution
from refundable.policy.document import Outcome, Remedy
from refundable.policy.facts import Reason
from refundable.service.commands.base import Command, bad, check_text

_ACTOR_ALLOWED = "who acted, e.g. customer:C1, agent:alice or system (at most 200 characters)"


def _check_actor(cmd: Any) -> None:
    actor = cmd.actor
    if not isinstance(actor, str) or not actor.strip() or len(actor) > limits.MAX_STORED_ID_LENGTH:
        raise bad(f"{type(cmd).__name__}.actor", actor, _ACTOR_ALLOWED)


def _check_answers(cmd: Any, name: str) -> None:
    answers = getattr(cmd, name)
    where = f"{type(cmd).__name__}.{name}"
    if not isinstance(answers, Mapping) or len(answers) > limits.MAX_LIST_ITEMS:
        raise bad(where, answers, "a mapping of item key to answer")
    for key, value in answers.items():
        if not isinstance(key, str) or not key or len(key) > limits.MAX_ID_LENGTH:
            raise bad(where, key, "item keys of 1-64 characters", "key")
        check_text(value, f"{where}.{key}")


def _check_facts(cmd: Any) -> None:
    facts = cmd.facts
    if not isinstance(facts, Mapping) or len(facts) > limits.MAX_LIST_ITEMS:
        raise bad(f"{type(cmd).__name__}.facts", facts, "a mapping of request facts")


@dataclass(frozen=True, slots=True)
class OpenCase(Command):
    """A customer or an agent asks for a refund about a stored charge, payment, usage event
    or the account. The case is decided under the policy version in force at ``at``."""

    tenant_id: str
    idempotency_key: str
    case_id: str
    customer_id: str
    subject: Subject
    subject_id: str
    reason: Reason
    at: datetime
    actor: str
    information: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    payment_id: str | None = None  # where money goes back, when the subject is a charge
    BUSINESS_KEYS = (("case", "case_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)
        _check_answers(self, "information")
        _check_facts(self)


@dataclass(frozen=True, slots=True)
class ProvideInformation(Command):
    """The customer answers what the case asked for; the case is decided again."""

    tenant_id: str
    idempotency_key: str
    case_id: str
    at: datetime
    actor: str
    information: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)
        _check_answers(self, "information")
        _check_facts(self)


@dataclass(frozen=True, slots=True)
class JudgeCase(Command):
    """An agent decides a case waiting in review: approve or deny the engine's proposal,
    naming the factors weighed (the clause's own, where it lists them)."""

    tenant_id: str
    idempotency_key: str
    case_id: str
    outcome: Outcome
    at: datetime
    actor: str
    factors: tuple[str, ...] = ()
    note: str = ""
    payment_id: str | None = None

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)
        if self.outcome is Outcome.review:
            raise bad("JudgeCase.outcome", self.outcome.value, "approve or deny")
        if not isinstance(self.factors, tuple) or len(self.factors) > 50:
            raise bad("JudgeCase.factors", self.factors, "a list of at most 50 factors")
        check_text(self.note, "JudgeCase.note")


@dataclass(frozen=True, slots=True)
class OverrideDecision(Command):
    """An agent replaces the decision, with a reason; the original is kept."""

    tenant_id: str
    idempotency_key: str
    case_id: str
    outcome: Outcome
    reason: str
    at: datetime
    actor: str
    remedy: Remedy | None = None
    amount: Money | None = None  # what the customer gets (net); None keeps the decision's
    payment_id: str | None = None

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)
        if self.outcome is Outcome.review:
            raise bad("OverrideDecision.outcome", self.outcome.value, "approve or deny")
        if not self.reason.strip():
            raise bad("OverrideDecision.reason", self.reason, "why the decision is overridden")
        if self.amount is not None:
            _check_override_amount(self.amount, self.outcome)


def _check_override_amount(amount: Money, outcome: Outcome) -> None:
    """What the customer gets: more than zero, in the currency's minor units (never rounded
    silently); a deny pays nothing, so it takes no amount."""
    where, digits = "OverrideDecision.amount", amount.minor_units
    if outcome is Outcome.deny:
        raise bad(where, str(amount.amount), "no amount with a deny: a deny pays nothing",
                  "amount")  # fmt: skip
    if not amount.is_positive:
        raise bad(where, str(amount.amount),
                  f"an amount more than zero, e.g. {amount.currency} 100.00", "amount")  # fmt: skip
    if amount.amount != amount.amount.quantize(Decimal(1).scaleb(-digits)):
        raise bad(where, str(amount.amount),
                  f"{amount.currency} amounts with at most {digits} decimal places, "
                  f"e.g. {amount.currency} {amount.round().amount}", "amount")  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseStep(Command):
    """A step that needs only who, when and why: withdraw, appeal, escalate, uphold,
    accept a settlement (``kind`` picks which; the handler checks the policy allows it)."""

    tenant_id: str
    idempotency_key: str
    case_id: str
    at: datetime
    actor: str
    reason: str = ""

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)


@dataclass(frozen=True, slots=True)
class WithdrawCase(CaseStep):
    pass


@dataclass(frozen=True, slots=True)
class AppealCase(CaseStep):
    pass


@dataclass(frozen=True, slots=True)
class EscalateCase(CaseStep):
    pass


@dataclass(frozen=True, slots=True)
class UpholdDecision(CaseStep):
    pass


@dataclass(frozen=True, slots=True)
class AcceptSettlement(CaseStep):
    """The customer accepts the refund as settling every claim (Kelbix)."""


@dataclass(frozen=True, slots=True)
class ResolveDispute(Command):
    """A chargeback's dispute ended: won (for the business), lost or withdrawn."""

    tenant_id: str
    idempotency_key: str
    dispute_id: str
    resolution: HoldResolution
    at: datetime
    actor: str
    reason: str = ""
    BUSINESS_KEYS = (("dispute_resolution", "dispute_id"),)

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)


@dataclass(frozen=True, slots=True)
class RecordCasePaid(Command):
    """The payout of a paying case settled (the payout worker's hook, or an agent)."""

    tenant_id: str
    idempotency_key: str
    case_id: str
    refund_id: str
    at: datetime
    actor: str = "system"

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_actor(self)
