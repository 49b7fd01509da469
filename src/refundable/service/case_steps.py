"""The later steps of a case: override, withdraw, appeal and its stages, settlement
acceptance, the payout's settlement, and the stage clocks' warnings and breaches.

An override keeps the original decision (``original_decision_id``), who overrode it and why;
its money follows the new decision in the same transaction. After money moved, the override
compensates the difference instead (``case_adjust``). Appeals follow the policy: where
a decision is final (Conek 8.2) an appeal is refused citing the clause; where the policy
names stages (MyProtektor 9.1) the case moves through appealed, escalated and mediation,
once: an appeal that ended (upheld, or the decision replaced in it) is not opened again.
"""

from __future__ import annotations

from datetime import datetime

from refundable.cases.clocks import ClockAlarm, sound
from refundable.cases.model import Case, CaseState, EventKind
from refundable.cases.rules import appeal_refusal
from refundable.cases.transitions import appeal_stages_run, apply
from refundable.core.errors import Conflict
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.ids import derived_id
from refundable.outbound.payouts import Payout, PayoutState
from refundable.policy.casesdoc import StageName
from refundable.policy.document import Outcome, Remedy
from refundable.scheduling.model import ScheduledAction
from refundable.service import commands as c
from refundable.service.case_adjust import adjustment_case, money_moved, override_after_money
from refundable.service.case_decisions import (
    agent_decision,
    approval_remedy,
    check_amount,
    payment_of,
)
from refundable.service.case_handlers import (
    _done,
    _lock,
    _outcome,
    _record,
    finish,
    receipt,
    rules_of,
    step,
)
from refundable.service.case_notices import email, webhook
from refundable.service.common import Context, Detail, Done
from refundable.service.payouts import PAYOUT_FAILED_HOOKS, PAYOUT_SETTLED_HOOKS, PayoutSettled


def override_decision(cmd: c.OverrideDecision, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    if money_moved(case):  # compensate what moved (case_adjust, ADR 0067)
        return override_after_money(cmd, ctx, case)
    original = _record(ctx, case)
    payment = payment_of(ctx, case, cmd.payment_id)
    refundable = payment.money(payment.refundable_minor) if payment else None
    proposal = _proposal(ctx, case)
    remedy = approval_remedy(original, proposal, cmd.remedy)
    check_amount(original, cmd.outcome, remedy, cmd.amount, refundable,
                 payment.payment_id if payment else None)  # fmt: skip
    chosen = remedy if cmd.outcome is Outcome.approve else Remedy.none
    override = {"by": cmd.actor, "reason": cmd.reason, "original": original.decision_id,
                "outcome": cmd.outcome.value, "remedy": chosen.value}  # fmt: skip
    record = agent_decision(
        ctx.policy(case.received_at), _amounts_from(original, proposal, cmd),
        derived_id("dec", case.case_id, str(case.seq)),
        cmd.outcome, cmd.at, how="on reconsideration",
        method=payment.method.value if payment else None, remedy=remedy,
        net_minor=None if cmd.amount is None else cmd.amount.to_minor(), set_by=cmd.actor,
        extra={"override": override},
    )  # fmt: skip
    ctx.repos.decisions.add(record)
    case = case.evolve(decision_id=record.decision_id,
                   original_decision_id=case.original_decision_id or original.decision_id,
                   payment_id=cmd.payment_id or case.payment_id)  # fmt: skip
    data = {"decision_id": record.decision_id, "original": original.decision_id,
            "outcome": cmd.outcome.value, "remedy": record.remedy.value, "reason": cmd.reason,
            "net": str(record.money(record.net_minor))}  # fmt: skip
    case = step(ctx, case, EventKind.overridden, cmd.actor, cmd.at, data)
    return _outcome(ctx, case, record, cmd.actor, cmd.at)


def _proposal(ctx: Context, case: Case) -> DecisionRecord | None:
    """The engine's assessment of the case, when an agent's decision replaced it."""
    return ctx.repos.decisions.get(case.original_decision_id) if case.original_decision_id else None


def _amounts_from(
    current: DecisionRecord, proposal: DecisionRecord | None, cmd: c.OverrideDecision
) -> DecisionRecord:
    """The record an override's amounts come from: the one it overrides, except that an
    approval with no amount of its own, over a denial, pays what the engine assessed (the
    case's proposal), not the denial's nothing."""
    if cmd.outcome is not Outcome.approve or cmd.amount is not None or current.net_minor > 0:
        return current
    return proposal if proposal and proposal.net_minor > 0 else current


def withdraw_case(cmd: c.WithdrawCase, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    case = step(ctx, case, EventKind.withdrawn, cmd.actor, cmd.at, {"reason": cmd.reason})
    return _done(ctx, case)


def appeal_case(cmd: c.AppealCase, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    events = ctx.repos.cases.events(case.case_id)
    refused = appeal_refusal(rules_of(ctx, case), events)
    if refused is not None:
        raise Conflict(refused, where="AppealCase.case_id",
                       allowed="nothing: the decision stands")  # fmt: skip
    case = step(ctx, case, EventKind.appealed, cmd.actor, cmd.at, {"reason": cmd.reason})
    reached, upheld = appeal_stages_run(events)
    for kind in (EventKind.escalated, EventKind.mediation)[:reached]:
        # a new appeal takes up where the last was upheld: the next stage (ADR 0085)
        assert upheld is not None
        case = step(ctx, case, kind, "system", cmd.at,
                    {"reason": f"resumed after the decision was upheld on "
                               f"{upheld.at.date().isoformat()}"})  # fmt: skip
    return _done(ctx, case)


def escalate_case(cmd: c.EscalateCase, ctx: Context) -> Done:
    """appealed -> escalated -> mediation, as far as the policy names stages."""
    case = _lock(ctx, cmd.case_id)
    rules = rules_of(ctx, case)
    kind = EventKind.mediation if case.state is CaseState.escalated else EventKind.escalated
    needed = 3 if kind is EventKind.mediation else 2
    if rules.appeal_steps < needed:
        raise Conflict(f"{rules.policy_id} names no {kind.value} stage for appeals",
                       where="EscalateCase.case_id", allowed="uphold or override")  # fmt: skip
    case = step(ctx, case, kind, cmd.actor, cmd.at, {"reason": cmd.reason})
    return _done(ctx, case)


def uphold_decision(cmd: c.UpholdDecision, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    case = step(ctx, case, EventKind.upheld, cmd.actor, cmd.at, {"reason": cmd.reason})
    return _done(ctx, case)


def accept_settlement(cmd: c.AcceptSettlement, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    record = _record(ctx, case)
    case = case.evolve(settled_at=cmd.at)
    clause = rules_of(ctx, case).settlement or ""
    case = step(ctx, case, EventKind.accepted, cmd.actor, cmd.at,
                {"decision_id": record.decision_id, "clause": clause})  # fmt: skip
    return _outcome(ctx, case, record, cmd.actor, cmd.at)


def record_case_paid(cmd: c.RecordCasePaid, ctx: Context) -> Done:
    return receipt(mark_paid(ctx, cmd.case_id, cmd.refund_id, cmd.at, cmd.actor))


def mark_paid(ctx: Context, case_id: str, refund_id: str, at: datetime, actor: str) -> Case:
    case = _lock(ctx, case_id)
    if case.state is CaseState.paid:
        return case  # the payout settled once already: nothing more to record
    case = step(ctx, case, EventKind.paid, actor, at, {"refund_id": refund_id})
    email(ctx.repos, case, "payout", f"Your refund {case.case_id} was paid",
          f"The refund went back to your original payment method ({refund_id}).")  # fmt: skip
    return finish(ctx, case)


def on_payout_settled(settled: PayoutSettled, ctx: Context) -> None:
    """The payout worker settled a case's payout: the case is paid, in the same transaction."""
    if settled.case_id:
        # a further payout after an override belongs to its adjustment decision
        case_id = settled.case_id
        if settled.decision_id.startswith("adj-"):
            case_id = adjustment_case(ctx.repos.decisions.get(settled.decision_id)) or case_id
        mark_paid(ctx, case_id, settled.gateway_refund_id, settled.settled_at, "system")


if on_payout_settled not in PAYOUT_SETTLED_HOOKS:
    PAYOUT_SETTLED_HOOKS.append(on_payout_settled)


def on_payout_failed(payout: Payout, ctx: Context) -> None:
    """The gateway refused a case's payout for good, or the instrument can no longer take
    money (8.1's alternative arrangement): the case records it and the customer is told, in
    the transaction that records the failure, so a case never waits in paying unseen. The
    case stays paying (its payout clock runs on) until an agent arranges the payment."""
    case_id = payout.case_id
    if payout.decision_id.startswith("adj-"):
        case_id = adjustment_case(ctx.repos.decisions.get(payout.decision_id)) or case_id
    case = ctx.repos.cases.lock(case_id) if case_id else None
    if case is None or case.state is not CaseState.paying:
        return
    at = max(ctx.now, case.updated_at or ctx.now)  # when the gateway's word was recorded
    reason = payout.failure_reason or "declined"
    waits = payout.state is PayoutState.awaiting_alternative
    case = step(ctx, case, EventKind.payout_failed, "system", at,
                {"payout_id": payout.payout_id, "amount": str(payout.requested),
                 "reason": reason, "payout_state": payout.state.value})  # fmt: skip
    then = ("the payment method can no longer receive it; we will offer you another way to be "
            "paid" if waits else "we are looking into it and will arrange the payment")  # fmt: skip
    email(ctx.repos, case, "payout-failed", f"Your refund {case.case_id} could not be paid yet",
          f"The refund of {payout.requested} was refused by the payment provider ({reason}): "
          f"{then}.")  # fmt: skip
    finish(ctx, case)


if on_payout_failed not in PAYOUT_FAILED_HOOKS:
    PAYOUT_FAILED_HOOKS.append(on_payout_failed)


def run_case_alarm(action: ScheduledAction, ctx: Context) -> Done:
    """A stage's warning or breach fell due: record it, unless it is stale."""
    p = action.payload
    case = ctx.repos.cases.lock(p["case_id"])
    alarm = ClockAlarm(StageName(p["stage"]), p["breach"] == "true", action.due_at,
                       int(p["generation"]))  # fmt: skip
    marked = None if case is None else sound(case, alarm)
    if case is None or marked is None:
        return Done(ref=action.action_id, details={Detail.state: "stale"})
    kind = EventKind.sla_breached if alarm.breach else EventKind.sla_warning
    clock = marked.clock(alarm.stage)
    assert clock is not None  # sound() found it
    data = {"stage": alarm.stage.value, "due_at": clock.due_at.isoformat(), "clause": clock.clause}
    after, event = apply(marked, kind, "system", action.due_at, rules_of(ctx, case).clocks, data)
    ctx.repos.cases.save(after)  # no transition: the alarms scheduled stay as they are
    ctx.repos.cases.add_events([event])
    webhook(ctx.repos, event)
    return Done(ref=case.case_id, details={Detail.state: after.state.value})
