"""The refund case aggregate: its states, its stage clocks and its append-only events.

A case is the promise-keeping side of a refund request: it remembers what was asked, what
is still missing, which decision was made (the decision itself is stored whole beside it),
and how each stage's deadline stands. It changes only through
:func:`refundable.cases.transitions.apply`, which returns the next case and the event that
records the change with who and when; the events are the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from refundable.policy.casesdoc import StageName


class CaseState(StrEnum):
    received = "received"
    awaiting_information = "awaiting_information"
    in_review = "in_review"
    decided = "decided"
    awaiting_acceptance = "awaiting_acceptance"  # settlement: the refund waits (Kelbix)
    paying = "paying"
    paid = "paid"
    credited = "credited"
    denied = "denied"
    withdrawn = "withdrawn"
    appealed = "appealed"  # internal review of the decision (MyProtektor 9.1)
    escalated = "escalated"
    mediation = "mediation"


OPEN_STATES = frozenset(
    {
        CaseState.received,
        CaseState.awaiting_information,
        CaseState.in_review,
        CaseState.decided,
        CaseState.awaiting_acceptance,
        CaseState.paying,
        CaseState.appealed,
        CaseState.escalated,
        CaseState.mediation,
    }
)
FINAL_STATES = frozenset({CaseState.paid, CaseState.credited, CaseState.denied})
APPEAL_STATES = (CaseState.appealed, CaseState.escalated, CaseState.mediation)


class Subject(StrEnum):
    """What a case is about: a stored charge, payment, usage event, or the account itself."""

    charge = "charge"
    payment = "payment"
    usage_event = "usage_event"
    account = "account"


class EventKind(StrEnum):
    """Every event a case can record. Transitions change the state; the others (clock
    warnings and breaches, money, notices, judgements) record what happened in a state."""

    opened = "opened"
    information_requested = "information_requested"
    information_provided = "information_provided"
    review_started = "review_started"
    decided = "decided"
    judged = "judged"  # an agent's judgement of a review outcome, with the factors weighed
    overridden = "overridden"
    adjusted = "adjusted"  # an override after money moved: compensated, not undone
    acceptance_requested = "acceptance_requested"
    accepted = "accepted"
    payout_requested = "payout_requested"
    paid = "paid"
    payout_failed = "payout_failed"  # the gateway refused the payout: the case says so
    credited = "credited"
    denied = "denied"
    withdrawn = "withdrawn"
    appealed = "appealed"
    escalated = "escalated"
    mediation = "mediation"
    upheld = "upheld"
    sla_warning = "sla_warning"
    sla_breached = "sla_breached"
    money = "money"
    notice = "notice"
    chargeback = "chargeback"
    dispute_resolved = "dispute_resolved"


@dataclass(frozen=True, slots=True)
class StageClock:
    """One stage's deadline. ``generation`` grows each time the deadline moves (a pause), so a
    scheduled warning for an older deadline knows it is stale."""

    stage: StageName
    clause: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    generation: int = 0
    ended_at: datetime | None = None
    warned: bool = False
    breached: bool = False

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def kept(self) -> bool | None:
        """True if it ended by its deadline, False if missed, None while it runs unbreached."""
        if self.ended_at is not None:
            return self.ended_at <= self.due_at
        return False if self.breached else None


@dataclass(frozen=True, slots=True)
class Case:
    tenant_id: str
    case_id: str
    customer_id: str
    subject: Subject
    subject_id: str
    reason: str
    state: CaseState
    received_at: datetime
    opened_by: str
    policy_version: str  # the version in force at receipt: every decision is made under it
    information: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)  # what the store cannot know
    payment_id: str | None = None  # where money goes back (the subject's, or named)
    missing: tuple[str, ...] = ()  # intake keys (or engine facts) still asked for
    decision_id: str | None = None
    original_decision_id: str | None = None  # the engine's, kept when an agent overrode it
    clocks: tuple[StageClock, ...] = ()
    paused_at: datetime | None = None
    settled_at: datetime | None = None  # the customer accepted the refund (settlement)
    state_before_appeal: CaseState | None = None
    seq: int = 0  # events recorded so far
    updated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def open_key(self) -> str:
        """Two open cases may not share this: the same subject and reason."""
        return f"{self.subject.value}:{self.subject_id}:{self.reason}"

    def clock(self, stage: StageName) -> StageClock | None:
        return next((c for c in self.clocks if c.stage is stage), None)

    def with_clock(self, clock: StageClock) -> Case:
        kept = tuple(clock if c.stage is clock.stage else c for c in self.clocks)
        return self.evolve(clocks=kept)

    def evolve(self, **changes: Any) -> Case:
        """This case with ``changes``: what ``dataclasses.replace`` gives, in half its time (a
        case has twenty-two fields, no checks of its own, and is copied several times by each
        command). A name that is not a field is refused as ``replace`` refuses it."""
        unknown = changes.keys() - _CASE_FIELDS_SET
        if unknown:
            raise TypeError(f"Case has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(Case)
        put = object.__setattr__
        for name in _CASE_FIELDS:
            put(copy, name, changes[name] if name in changes else getattr(self, name))
        return copy

    @property
    def next_due_at(self) -> datetime | None:
        running = [c.due_at for c in self.clocks if c.running]
        return min(running) if running else None

    @property
    def next_warn_at(self) -> datetime | None:
        """The earliest warning time of a running stage clock."""
        running = [c.warn_at for c in self.clocks if c.running]
        return min(running) if running else None

    @property
    def breach_marked(self) -> bool:
        """A running stage clock was marked breached (its deadline passed while it ran)."""
        return any(c.running and c.breached for c in self.clocks)

    @property
    def last_due_at(self) -> datetime | None:
        """The latest deadline of any stage clock, running or ended."""
        return max((c.due_at for c in self.clocks), default=None)


_CASE_FIELDS = tuple(f.name for f in fields(Case))
_CASE_FIELDS_SET = frozenset(_CASE_FIELDS)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's history (append-only): what happened, who did it, when."""

    tenant_id: str
    case_id: str
    seq: int
    kind: EventKind
    from_state: CaseState
    to_state: CaseState
    actor: str
    at: datetime
    data: Mapping[str, str] = field(default_factory=dict)
