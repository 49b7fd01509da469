"""Handlers for refund cases: intake, decision, judgement, override, the later steps.

Each handler has the house shape: lock the case, read the tenant's policy version in force
at the case's receipt (every decision of a case is made under it), call the pure case
transition, and add to the unit of work what follows from it: the case and its event, the
stored decision, the money (``case_money``), the notices and the stage alarms
(``case_notices``). Idempotency and the transaction are the bus's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from refundable.cases.clocks import held_to, on_state_change
from refundable.cases.model import Case, CaseState, EventKind
from refundable.cases.rules import CaseRules, case_rules
from refundable.cases.transitions import apply
from refundable.core.errors import Conflict
from refundable.ledger.decisions import DecisionRecord, record_of
from refundable.ledger.ids import derived_id
from refundable.policy.casesdoc import StageName
from refundable.policy.document import Outcome
from refundable.policy.facts import Request
from refundable.service import commands as c
from refundable.service.case_decisions import agent_decision, payment_of
from refundable.service.case_facts import (
    FactsMissing,
    build_request,
    check_account,
    stored_charge,
)
from refundable.service.case_money import carry_out
from refundable.service.case_notices import email, schedule_alarms, webhook
from refundable.service.common import Context, Detail, Done, not_found
from refundable.service.decisions import decide_for_tenant
from refundable.tenants.model import Tenant


def rules_of(ctx: Context, case: Case) -> CaseRules:
    return case_rules(ctx.policy(case.received_at))


def step(
    ctx: Context, case: Case, kind: EventKind, actor: str, at: datetime,
    data: dict[str, str] | None = None, rules: CaseRules | None = None,
) -> Case:  # fmt: skip
    """Record one event and its webhook; the next case (stored by ``finish``)."""
    after, event = apply(case, kind, actor, at, (rules or rules_of(ctx, case)).clocks, data)
    ctx.repos.cases.add_events([event])
    webhook(ctx.repos, event)
    return after


def finish(ctx: Context, case: Case) -> Case:
    """Store the case as a command leaves it, and schedule its running stages' alarms (one
    write each per command, however many events it recorded)."""
    ctx.repos.cases.save(case)
    schedule_alarms(ctx.repos, case)
    return case


def _done(ctx: Context, case: Case, entries: tuple[str, ...] = ()) -> Done:
    return receipt(finish(ctx, case), entries)


def receipt(case: Case, entries: tuple[str, ...] = ()) -> Done:
    details = {Detail.state: case.state.value}
    if case.missing:
        details[Detail.missing] = ",".join(case.missing)
    if case.decision_id:
        details[Detail.decision_id] = case.decision_id
    return Done(entries, case.case_id, details, value=case)  # the route shows it as it is


def _lock(ctx: Context, case_id: str) -> Case:
    case = ctx.repos.cases.lock(case_id)
    if case is None:
        raise not_found("case", case_id)
    return case


# --- intake and decision ---------------------------------------------------------------------


def open_case(cmd: c.OpenCase, ctx: Context) -> Done:
    rules = case_rules(ctx.policy(cmd.at))
    case = Case(
        cmd.tenant_id, cmd.case_id, cmd.customer_id, cmd.subject, cmd.subject_id,
        cmd.reason.value, CaseState.received, cmd.at, cmd.actor, rules.policy_version,
        dict(cmd.information), dict(cmd.facts), cmd.payment_id,
    )  # fmt: skip
    # The subject exists and is theirs (checked first: another customer's open case on it is
    # not theirs to hear of); the facts fit the store.
    prepared = _request(ctx, case)
    prior = ctx.repos.cases.open_with(case.open_key)
    if prior is not None:
        raise Conflict(
            f"case {prior} is already open for {case.subject.value} {case.subject_id} "
            f"({case.reason})",
            where="OpenCase.subject_id",
            allowed=f"add to case {prior}, or open a new case once it is closed",
        )
    case = on_state_change(case, CaseState.received, cmd.at, rules.clocks)
    ctx.repos.cases.add(case)
    case = step(ctx, case, EventKind.opened, cmd.actor, cmd.at,
                {"subject": f"{case.subject.value}:{case.subject_id}", "reason": case.reason,
                 "policy_version": case.policy_version}, rules)  # fmt: skip
    email(ctx.repos, case, "receipt", f"We received your refund request {case.case_id}",
          f"Your request ({case.reason}) was received and is handled under "
          f"{rules.policy_id} {rules.policy_version}.")  # fmt: skip
    return _intake(ctx, case, cmd.at, rules, prepared)


def _request(ctx: Context, case: Case) -> tuple[Tenant, Request | tuple[str, ...]]:
    """The request the case is decided on, or the facts still missing from it. Refused here,
    before anything is written, when the subject is unknown or not the customer's, or a
    fact contradicts the store."""
    tenant = ctx.repos.tenants.get(ctx.tenant_id)
    assert tenant is not None  # the bus checked it
    check_account(case)
    charge = stored_charge(ctx.repos, case, case.payment_id)
    try:
        return tenant, build_request(tenant.policy_id, case, charge, case.facts)
    except FactsMissing as missing:
        return tenant, missing.paths


def _ask(
    ctx: Context, case: Case, at: datetime, items: list[tuple[str, str]], rules: CaseRules
) -> Done:  # fmt: skip
    """Wait for the customer: the system asks for each item (key, the question in words)."""
    case = case.evolve(missing=tuple(key for key, _ in items))
    asks = "; ".join(ask for _, ask in items)
    case = step(ctx, case, EventKind.information_requested, "system", at,
                {"missing": ",".join(case.missing), "asks": asks}, rules)  # fmt: skip
    email(ctx.repos, case, "missing", f"Your refund request {case.case_id} needs more",
          f"Before we can decide, please send: {asks}.")  # fmt: skip
    return _done(ctx, case)


def _intake(
    ctx: Context, case: Case, at: datetime, rules: CaseRules,
    prepared: tuple[Tenant, Request | tuple[str, ...]] | None = None,
) -> Done:  # fmt: skip
    """Ask for what is missing, else decide under the version in force at receipt.
    ``prepared``: the request ``_request`` already built from this very case (the stored
    charge and payment are read once per command, not twice). What intake does by itself
    (asking, deciding, applying a clear outcome) is the system's doing, whoever opened or
    answered the case: their own step is the event before."""
    missing = rules.missing(case.subject, case.information)
    if missing:
        return _ask(ctx, case, at,
                    [(m.key, f"{m.item} (clause {m.clause})") for m in missing], rules)  # fmt: skip
    if prepared is not None and isinstance(prepared[1], Request):
        tenant, request = prepared[0], prepared[1]
    else:
        found = ctx.repos.tenants.get(ctx.tenant_id)
        assert found is not None  # the bus checked it
        tenant = found
        lacked = prepared[1] if prepared and not isinstance(prepared[1], Request) else ()
        facts = _with_answers(case.facts, case.information, lacked)
        charge = stored_charge(ctx.repos, case, case.payment_id)
        try:
            request = build_request(tenant.policy_id, case, charge, facts)
        except FactsMissing as lacking:  # e.g. a charge given in part: ask for the rest
            return _ask(ctx, case, at, [(p, rules.label(p)) for p in lacking.paths], rules)
    decision = decide_for_tenant(tenant, ctx.policy(case.received_at), request)
    unanswered = [(i.item, i.ask) for i in decision.information_needed
                  if not case.information.get(i.item, "").strip()]  # fmt: skip
    if unanswered:
        return _ask(ctx, case, at, unanswered, rules)
    # Past here a fact the engine still lacks was answered in words it cannot read (a date
    # typed in the portal): an agent reviews the case with the answer (ADR 0082).
    shown = decision.to_dict()
    record = record_of(derived_id("dec", case.case_id, str(case.seq)), ctx.tenant_id,
                       case.customer_id, decision, at, shown)  # fmt: skip
    ctx.repos.decisions.add(record)
    case = case.evolve(decision_id=record.decision_id, missing=())
    data = _decision_data(record)
    if decision.outcome.value in rules.auto_apply and not decision.information_needed:
        # Applied by the system, not by whoever opened or answered the case.
        case = step(ctx, case, EventKind.decided, "system", at, data, rules)
        return _outcome(ctx, case, record, "system", at, rules, shown)
    case = step(ctx, case, EventKind.review_started, "system", at, data, rules)
    return _done(ctx, case)


def _with_answers(
    facts: Mapping[str, Any], information: Mapping[str, str], paths: tuple[str, ...]
) -> dict[str, Any]:
    """The case's facts with the customer's own answers to the facts the request lacked
    (asked by their path, e.g. ``charge.kind``, answered in the portal's words) put in
    place: the request then reads them like any fact, and a value it cannot take is
    refused naming the fact and what is allowed."""
    out = _merged(facts, {})
    for path in paths:
        answer = information.get(path, "").strip()
        if not answer:
            continue
        *heads, leaf = path.split(".")
        at = out
        for head in heads:
            inner = at.get(head)
            at[head] = dict(inner) if isinstance(inner, Mapping) else {}
            at = at[head]
        at[leaf] = answer
    return out


def _decision_data(record: DecisionRecord) -> dict[str, str]:
    return {
        "decision_id": record.decision_id,
        "outcome": record.outcome.value,
        "remedy": record.remedy.value,
        "rule": record.rule or "",
        "clauses": ",".join(record.clauses),
        "net": str(record.money(record.net_minor)),
    }


def _outcome(
    ctx: Context, case: Case, record: DecisionRecord, actor: str, at: datetime,
    rules: CaseRules | None = None, body: Mapping[str, Any] | None = None,
) -> Done:  # fmt: skip
    """Carry out a decision: deny, wait for acceptance (settlement), or move the money.
    ``body``: the record's, when the caller has it (else read from the record)."""
    if body is None:
        body = json.loads(record.body)
    explanation = body["explanation"]
    clauses = ", ".join(record.clauses)
    if record.outcome is not Outcome.approve:
        case = step(ctx, case, EventKind.denied, actor, at, {"decision_id": record.decision_id},
                    rules)  # fmt: skip
        email(ctx.repos, case, "decision", f"Decision on your refund request {case.case_id}",
              f"{explanation} (clauses {clauses})")  # fmt: skip
        return _done(ctx, case)
    rules = rules or rules_of(ctx, case)
    clause = rules.settlement
    if clause is not None and case.settled_at is None:
        case = step(ctx, case, EventKind.acceptance_requested, actor, at,
                    {"decision_id": record.decision_id, "clause": clause}, rules)  # fmt: skip
        email(ctx.repos, case, "acceptance", f"Your refund {case.case_id} awaits your acceptance",
              f"{explanation} (clauses {clauses}). Accepting it settles every claim "
              f"(clause {clause}); nothing is paid before you accept.")  # fmt: skip
        return _done(ctx, case)
    kind, data, entries = carry_out(ctx, case, record, case.payment_id, at)
    case = step(ctx, case, kind, actor, at, data, rules)
    if kind is EventKind.payout_requested:
        case = _held_to_pay_by(case, body, rules)
    email(ctx.repos, case, "decision", f"Decision on your refund request {case.case_id}",
          f"{explanation} (clauses {clauses})")  # fmt: skip
    return _done(ctx, case, tuple(e.entry_id for e in entries))


def _held_to_pay_by(case: Case, body: Mapping[str, Any], rules: CaseRules) -> Case:
    """One payout deadline per case: the payout stage runs to the payment deadline the
    decision it pays names (e.g. MyProtektor 4.1's 10 business days), not to the stage's
    general one (7.3's 14), so the clock and what the customer was told agree (ADR 0081)."""
    deadlines = body.get("deadlines") or {}
    basis = (deadlines.get("basis") or {}).get("pay_by")
    if not deadlines.get("pay_by") or not basis:
        return case
    due = datetime.fromisoformat(deadlines["pay_by"])
    return held_to(case, StageName.payout, due, basis["clause"], rules.clocks)


def provide_information(cmd: c.ProvideInformation, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    case = case.evolve(
        information={**case.information, **cmd.information},
        facts=_merged(case.facts, cmd.facts),
    )
    prepared = _request(ctx, case)
    rules = rules_of(ctx, case)
    case = step(ctx, case, EventKind.information_provided, cmd.actor, cmd.at,
                {"answered": ",".join(sorted({*cmd.information, *cmd.facts}))}, rules)  # fmt: skip
    return _intake(ctx, case, cmd.at, rules, prepared)


def _merged(old: Any, new: Any) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


# --- agents ----------------------------------------------------------------------------------


def _record(ctx: Context, case: Case) -> DecisionRecord:
    if case.decision_id is None:
        raise Conflict(f"case {case.case_id} has no decision yet", where="case_id",
                       allowed="a case decided by the engine")  # fmt: skip
    record = ctx.repos.decisions.get(case.decision_id)
    if record is None:
        raise not_found("decision", case.decision_id)
    return record


def _factors(record: DecisionRecord, given: tuple[str, ...]) -> None:
    listed = json.loads(record.body).get("factors") or []
    unknown = [f for f in given if f not in listed]
    if listed and (not given or unknown):
        raise Conflict(
            f"the judgement must weigh the clause's own factors; not among them: "
            f"{', '.join(unknown) or '(none given)'}",
            where="JudgeCase.factors",
            allowed="; ".join(listed),
        )


def judge_case(cmd: c.JudgeCase, ctx: Context) -> Done:
    case = _lock(ctx, cmd.case_id)
    if case.state is not CaseState.in_review:
        raise Conflict(f"case {case.case_id} is {case.state.value}, not in review",
                       where="case_id", allowed="a case waiting in review")  # fmt: skip
    proposed = _record(ctx, case)
    _factors(proposed, cmd.factors)
    payment = payment_of(ctx, case, cmd.payment_id)
    judgement = {"by": cmd.actor, "outcome": cmd.outcome.value, "factors": list(cmd.factors),
                 "note": cmd.note, "proposal": proposed.decision_id}  # fmt: skip
    record = agent_decision(
        ctx.policy(case.received_at), proposed, derived_id("dec", case.case_id, str(case.seq)),
        cmd.outcome, cmd.at, how="after review",
        method=payment.method.value if payment else None, extra={"judgement": judgement},
        where="JudgeCase.outcome",
    )  # fmt: skip
    ctx.repos.decisions.add(record)
    case = case.evolve(decision_id=record.decision_id,
                       original_decision_id=case.original_decision_id or proposed.decision_id,
                       payment_id=cmd.payment_id or case.payment_id)  # fmt: skip
    data = {**_decision_data(record), "factors": "; ".join(cmd.factors), "note": cmd.note}
    case = step(ctx, case, EventKind.judged, cmd.actor, cmd.at, data)
    return _outcome(ctx, case, record, cmd.actor, cmd.at)
