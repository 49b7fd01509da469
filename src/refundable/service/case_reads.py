"""What the console and the portal show about refund cases: the queue in deadline order with
the cases at risk marked, one case with its decision (cited clauses beside our paraphrase of
them, the trace), its clocks and its events, and the monthly figures of the reports page.

Reads only: the case's read side (``CaseQueries``) and, for the decision and the policy
version the case is decided under, a unit of work that is never committed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from refundable.cases.model import Case, CaseEvent, EventKind, Subject
from refundable.cases.rules import CaseRules, appeal_refusal, case_rules
from refundable.core.errors import NotFound
from refundable.ledger.decisions import DecisionRecord
from refundable.policy.compiled import CompiledPolicy
from refundable.service.bus import MessageBus
from refundable.service.case_adjust import money_moved
from refundable.service.case_decisions import approval_moves, approval_remedy, check_amount
from refundable.service.case_queries import CaseQueries
from refundable.service.commands.cases import OverrideDecision
from refundable.service.queries import LedgerQueries


def at_risk(case: Case, now: datetime) -> bool:
    """A running stage clock past its warning time (or already breached)."""
    return any(c.running and (c.breached or c.warn_at <= now) for c in case.clocks)


QUEUE_SIZE = 200  # the console's queue shows this many open cases, nearest deadline first
# (``CaseQueries.queue`` reads them from the store in that order, with the count of all open)


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    events: list[CaseEvent]
    decision: DecisionRecord | None
    body: dict[str, Any]  # the stored decision (Decision.to_dict), {} before one is made
    policy: CompiledPolicy  # the version in force at receipt: every decision is made under it
    rules: CaseRules  # as they stand for this case: no appeal once its appeal has ended

    @property
    def factors(self) -> list[str]:
        """The clause's own factors an agent must weigh when judging a review."""
        return [str(f) for f in self.body.get("factors") or []]

    @property
    def approval_moves(self) -> bool:
        """Whether approving the decision in force as it stands gives the customer anything
        (else the console offers no one-click Approve: the agent sets the amount)."""
        d = self.decision
        return d is not None and approval_moves(d.remedy, d.net_minor, self.body.get("units"))


def case_view(
    bus: MessageBus, reads: CaseQueries, tenant_id: str, case_id: str,
    customer_id: str | None = None,
) -> CaseView:  # fmt: skip
    """One case (only the customer's own when ``customer_id`` is given)."""
    case = reads.case(tenant_id, case_id)
    if case is None or (customer_id is not None and case.customer_id != customer_id):
        raise NotFound(f"no case {case_id!r} here", where="case", allowed="one of the cases listed")
    with bus.read_uow_factory() as uow:  # never committed: a read
        repos = uow.repositories(tenant_id)
        decision = repos.decisions.get(case.decision_id) if case.decision_id else None
        policy = bus.catalog.in_force(repos.tenants, tenant_id, case.received_at)
    body = json.loads(decision.body) if decision is not None else {}
    events = reads.events(tenant_id, case_id)
    rules = case_rules(policy)
    if appeal_refusal(rules, events) is not None:
        # this case's appeals have been through every stage: nothing offers another (ADR 0085)
        rules = replace(rules, appeal_allowed=False)
    return CaseView(case, events, decision, body, policy, rules)


def check_override(
    bus: MessageBus, ledger: LedgerQueries, case: Case, cmd: OverrideDecision
) -> None:
    """Refuse, before a confirmation page shows it, an override whose amount the handler
    would refuse (``case_decisions.check_amount``): reads only; the handler checks again
    when the override is confirmed. After money moved, what is still refundable comes on
    top of what the decision in force paid (the override pays the difference)."""
    if cmd.amount is None or case.decision_id is None:
        return
    with bus.read_uow_factory() as uow:  # never committed: a read
        decisions = uow.repositories(case.tenant_id).decisions
        record = decisions.get(case.decision_id)
        proposal = decisions.get(case.original_decision_id) if case.original_decision_id else None
    pid = cmd.payment_id or case.payment_id
    if pid is None and case.subject is Subject.payment:
        pid = case.subject_id
    if record is None:
        return  # the handler names what is missing
    left = None if pid is None else ledger.remaining_refundable(case.tenant_id, pid)
    if left is not None and money_moved(case) and left.currency == record.currency:
        left = left + record.money(record.net_minor)
    remedy = approval_remedy(record, proposal, cmd.remedy)
    check_amount(record, cmd.outcome, remedy, cmd.amount, left, pid)


@dataclass(frozen=True, slots=True)
class Figures:
    """Per month (``YYYY-MM`` in the tenant's zone): decisions by outcome and by remedy, stage
    deadlines kept and missed."""

    months: list[str]
    outcomes: dict[str, Counter[str]]
    remedies: dict[str, Counter[str]]
    kept: Counter[str]
    missed: Counter[str]
    since: datetime  # the first instant of the window's first month


_DECIDING = (EventKind.decided, EventKind.judged, EventKind.overridden)
FIGURE_MONTHS = 12  # the reports page shows this many months, the current one last


def window_start(now: datetime, zone: ZoneInfo, months: int = FIGURE_MONTHS) -> datetime:
    """Midnight on the first day of the month ``months - 1`` before ``now``'s month, in
    ``zone`` (a window of ``months`` calendar months ending with the current one)."""
    here = now.astimezone(zone)
    index = here.year * 12 + here.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)


def figures(
    reads: CaseQueries, tenant_id: str, now: datetime, zone: ZoneInfo,
    months: int = FIGURE_MONTHS,
) -> Figures:  # fmt: skip
    """The last ``months`` months in the tenant's zone: every decision (the engine's, an
    agent's judgement, an override) counts in the month it was made, so a month's figures never
    change afterwards; each ended or breached stage clock counts as kept or missed in the month
    of its deadline. Reads only the window: the deciding events since its start and the cases
    with a deadline in it (ADR 0080)."""
    since = window_start(now, zone, months)

    def month(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m")

    made = [e for e in reads.events(tenant_id, since=since, kinds=_DECIDING)
            if e.data.get("outcome")]  # fmt: skip
    outcomes: dict[str, Counter[str]] = {}
    remedies: dict[str, Counter[str]] = {}
    for e in made:
        outcomes.setdefault(month(e.at), Counter())[e.data["outcome"]] += 1
        remedies.setdefault(month(e.at), Counter())[e.data.get("remedy", "none")] += 1
    kept: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for case in reads.cases(tenant_id, due_since=since):
        for clock in case.clocks:
            if clock.due_at < since:
                continue
            if clock.kept is True:
                kept[month(clock.due_at)] += 1
            elif clock.kept is False:
                missed[month(clock.due_at)] += 1
    return Figures(sorted({*outcomes, *kept, *missed}), outcomes, remedies, kept, missed, since)
