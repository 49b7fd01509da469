"""An override after money moved: compensate, never undo (ADR 0067).

Once a refund was paid (or a credit posted) the money cannot be called back from the ledger
or the card; what an agent changes is what the customer should have had. The override keeps
the original decision and who overrode it and why (as every override does), and moves only
the difference between the new decision's net and what the decision in force moved:

* more, by refund: a further payout of the difference through the outbox, under its own
  *adjustment* decision (net = the difference, so ``RequestPayout`` and the settlement's
  ``PayRefund`` pay exactly it) and its own payout, keyed by the adjustment; the case goes
  paid -> paying -> paid again when the gateway settles it;
* less (or deny), by refund: a clawback, the customer owes the difference back (receivable
  against refunds);
* more or less, by account or wallet credit: the difference granted, or taken back from the
  credit (the ledger's floor refuses a take-back of credit already spent).

Every id derives from the case and its event sequence, so a retried command writes the same
rows (and the bus replays its receipt); a second override moves only what is still missing.
A payout in flight (``paying``) is not overridden: it settles first.
"""

from __future__ import annotations

import json
from dataclasses import replace

from refundable.cases.model import APPEAL_STATES, Case, CaseState, EventKind
from refundable.core.errors import Conflict
from refundable.ledger import accounts as chart
from refundable.ledger.accounts import Kind
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.entries import EntryKind, JournalEntry, entry
from refundable.ledger.ids import derived_id
from refundable.policy.document import Outcome, Remedy
from refundable.service import commands as c
from refundable.service.case_decisions import agent_decision
from refundable.service.case_handlers import _done, _record, step
from refundable.service.case_notices import email
from refundable.service.common import Context, Done
from refundable.service.outbox_kinds import payout_message
from refundable.service.subscription_handlers import credit_subscriber, live_subscription

MOVED = (CaseState.paid, CaseState.credited)
# remedy -> (the customer's side, the tenant's side as the original posting had it, kind)
_TAKE_BACK = {
    Remedy.refund: (chart.receivable, Kind.refunds, EntryKind.clawback),
    Remedy.account_credit: (chart.account_credit, Kind.credit_grants, EntryKind.account_credit),
    Remedy.wallet_credit: (chart.wallet, Kind.refunds, EntryKind.refund),
}


def money_moved(case: Case) -> bool:
    """The case's decision was carried out with money (directly, or before its appeal)."""
    if case.state in MOVED:
        return True
    return case.state in APPEAL_STATES and case.state_before_appeal in MOVED


def adjustment_case(record: DecisionRecord | None) -> str | None:
    """The case an adjustment decision (and so its payout) belongs to."""
    if record is None or '"adjustment"' not in record.body:
        return None
    case_id = json.loads(record.body).get("adjustment", {}).get("case_id")
    return str(case_id) if case_id else None


def override_after_money(cmd: c.OverrideDecision, ctx: Context, case: Case) -> Done:
    moved = _record(ctx, case)
    remedy = cmd.remedy or moved.remedy
    if moved.remedy not in _TAKE_BACK:
        raise Conflict(
            f"case {case.case_id} moved {moved.remedy.value}; an override after that is not "
            "supported",
            where="OverrideDecision.case_id",
            allowed="cases paid by refund, account credit or wallet credit",
        )
    if remedy is not moved.remedy:
        raise Conflict(
            f"case {case.case_id} already moved money by {moved.remedy.value}; an override "
            f"can change how much, not the remedy ({remedy.value})",
            where="OverrideDecision.remedy",
            allowed=f"{moved.remedy.value} (refund, account_credit or wallet_credit)",
        )
    if cmd.amount is not None and cmd.amount.currency != moved.currency:
        raise Conflict(f"amount in {cmd.amount.currency}; the decision is in {moved.currency}",
                       where="OverrideDecision.amount", allowed=moved.currency)  # fmt: skip
    net = 0 if cmd.outcome is Outcome.deny else (
        moved.net_minor if cmd.amount is None else cmd.amount.to_minor())  # fmt: skip
    delta = net - moved.net_minor
    record = _override_record(ctx, cmd, case, moved, net, delta)
    ctx.repos.decisions.add(record)
    case = case.evolve(decision_id=record.decision_id,
                   original_decision_id=case.original_decision_id or moved.decision_id)  # fmt: skip
    data = {"decision_id": record.decision_id, "original": moved.decision_id,
            "outcome": cmd.outcome.value, "remedy": remedy.value, "reason": cmd.reason,
            "moved": str(moved.money(moved.net_minor)), "net": str(record.money(net)),
            "difference": str(record.money(delta))}  # fmt: skip
    case = step(ctx, case, EventKind.adjusted, cmd.actor, cmd.at, data)
    entries: tuple[str, ...] = ()
    if delta > 0 and remedy is Remedy.refund:
        case = _pay_more(ctx, case, record, delta, cmd)
    elif delta != 0:
        e = _post_difference(ctx, case, record, moved.remedy, delta, cmd)
        entries = (e.entry_id,)
        case = step(ctx, case, EventKind.money, cmd.actor, cmd.at,
                    {"entries": e.entry_id, "difference": data["difference"]})  # fmt: skip
    what = {True: "a further payment of", False: "to be repaid:"}[delta > 0]
    email(ctx.repos, case, "adjusted", f"Your refund request {case.case_id} was reviewed again",
          f"The decision was changed ({cmd.reason}). "
          + (f"{what} {record.money(abs(delta))}." if delta else "No money moves."))  # fmt: skip
    return _done(ctx, case, entries)


def _override_record(
    ctx: Context, cmd: c.OverrideDecision, case: Case, moved: DecisionRecord, net: int,
    delta: int,
) -> DecisionRecord:  # fmt: skip
    """The overriding decision, stated as the agent chose it (``case_decisions``): a deny
    records nothing to pay; what moved and the difference are kept beside it."""
    override = {"by": cmd.actor, "reason": cmd.reason, "original": moved.decision_id,
                "outcome": cmd.outcome.value, "remedy": moved.remedy.value,
                "after_money_moved": True, "moved_minor": moved.net_minor,
                "difference_minor": delta}  # fmt: skip
    return agent_decision(
        ctx.policy(case.received_at), moved, derived_id("dec", case.case_id, str(case.seq)),
        cmd.outcome, cmd.at, how="on reconsideration",
        net_minor=None if cmd.amount is None else net, set_by=cmd.actor,
        extra={"override": override},
    )  # fmt: skip


def _pay_more(
    ctx: Context, case: Case, record: DecisionRecord, delta: int, cmd: c.OverrideDecision
) -> Case:
    pid = cmd.payment_id or case.payment_id or case.subject_id
    payment = ctx.repos.payments.lock(pid)
    if payment is None or payment.customer_id != case.customer_id:
        raise Conflict(f"no payment {pid!r} of {case.customer_id}", where="payment_id",
                       allowed="a recorded payment of the case's customer")  # fmt: skip
    if delta > payment.refundable_minor:
        raise Conflict(
            f"a further {record.money(delta)} exceeds what payment {pid} can still refund "
            f"({payment.money(payment.refundable_minor)})",
            where="OverrideDecision.amount",
            allowed=f"at most {record.money(record.net_minor - delta + payment.refundable_minor)}",
        )
    adjustment = replace(
        record, decision_id=derived_id("adj", record.decision_id), outcome=Outcome.approve,
        net_minor=delta, gross_minor=delta, fees_minor=0,
        body=json.dumps({**json.loads(record.body), "adjustment": {
            "case_id": case.case_id, "of": record.decision_id, "minor": delta}},
            sort_keys=True),
    )  # fmt: skip
    ctx.repos.decisions.add(adjustment)
    amount = adjustment.money(delta)
    # the payout belongs to the adjustment (one payout per adjustment, as per case); the
    # settled hook finds the case through the adjustment decision
    ctx.repos.outbox.add(payout_message(
        derived_id("payout", case.case_id, adjustment.decision_id),
        case_id=adjustment.decision_id, customer_id=case.customer_id, payment_id=pid,
        amount=amount, decision_id=adjustment.decision_id, at=cmd.at))  # fmt: skip
    data = {"payment_id": pid, "amount": str(amount), "decision_id": adjustment.decision_id}
    return step(ctx, case, EventKind.payout_requested, cmd.actor, cmd.at, data)


def _post_difference(
    ctx: Context, case: Case, record: DecisionRecord, remedy: Remedy, delta: int,
    cmd: c.OverrideDecision,
) -> JournalEntry:  # fmt: skip
    """Grant a credit's difference, or take back what was moved too much (balanced: the
    tenant's account that carried the original posting carries the other side)."""
    subscriber = None
    if remedy is Remedy.account_credit:
        subscriber = live_subscription(ctx, case.customer_id, record.currency)
    if subscriber is not None and delta < 0:  # it may already have paid for a period
        raise Conflict(
            f"the account credit went to subscription {subscriber}, whose charges draw on it",
            where="OverrideDecision.amount",
            allowed=f"at least {record.money(record.net_minor - delta)} (only more credit)",
        )
    account_of, tenant_kind, kind = _TAKE_BACK[remedy]
    customer_side = account_of(case.customer_id, record.currency)
    refunds = chart.tenant_account(tenant_kind, record.currency)
    pair = (refunds, customer_side, delta) if delta > 0 else (customer_side, refunds, -delta)
    verb = "granted" if delta > 0 else "taken back"
    e = entry(ctx.entry_id(1), ctx.tenant_id, kind, cmd.at, [pair], ref=case.case_id,
              memo=f"case {case.case_id} overridden after money moved: {record.money(abs(delta))}"
                   f" {verb} ({cmd.reason})",
              meta={"decision_id": record.decision_id})  # fmt: skip
    ctx.post([e])
    if subscriber is not None:  # the subscriber's next charge draws on the extra credit
        credit_subscriber(ctx, case.customer_id, record.money(delta), cmd.at, cmd.actor)
    return e
