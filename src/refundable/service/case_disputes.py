"""Chargebacks and disputes: what a chargeback does to the account, per the policy's
``cases.chargebacks``, and what a won dispute undoes (ADR 0052, 0053).

* Conek 9.2: suspended at once when the customer had opened no refund case before the
  chargeback (the case store knows); with a prior case, no sanction.
* Kero: held until the dispute resolves; a repeated chargeback also suspends.
* MyProtektor 9.2: a pattern of chargebacks opens a formal account review (a case of its own,
  waiting for an agent).

A policy without the section keeps the ledger's link (a clause ``implemented_by`` the hold).
The chargeback is recorded on the customer's case about that payment, so the case's history
and evidence packet show it. A won dispute releases every hold and suspension it caused,
withdraws the review it opened, reverses the chargeback's entry (the funds are back), and
lowers the payment's charged-back counter by a negative ``chargeback`` return row (the rows
are append-only and the database holds the counter to their sum), so the payment can be
refunded again and the chargeback no longer counts toward Kero's repeat suspension or
MyProtektor's pattern (``chargebacks_of`` nets the reversals).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from refundable.cases.clocks import on_state_change
from refundable.cases.model import Case, CaseState, EventKind, Subject
from refundable.cases.rules import CaseRules, case_rules
from refundable.ledger.entries import JournalEntry, reverse
from refundable.ledger.holds import Hold, HoldResolution
from refundable.ledger.ids import derived_id
from refundable.ledger.payments import Payment
from refundable.policy.casesdoc import ChargebackAction
from refundable.service import commands as c
from refundable.service.case_handlers import finish, step
from refundable.service.common import Context, Detail, Done, not_found

_KINDS = ("hold", "suspend")


@dataclass(frozen=True, slots=True)
class Sanction:
    kind: str  # hold | suspend
    reason: str


def sanctions(rules: CaseRules, prior_case: bool, chargebacks: int) -> list[Sanction]:
    """What this chargeback (the customer's ``chargebacks``-th) does under the policy."""
    clause = rules.chargeback_clause
    out = []
    if rules.chargeback is ChargebackAction.suspend_without_prior_case and not prior_case:
        out.append(Sanction("suspend", f"suspended: chargeback without contacting support "
                                       f"first (clause {clause})"))  # fmt: skip
    if rules.chargeback is ChargebackAction.hold_until_resolved:
        out.append(Sanction("hold", f"held until the dispute is resolved (clause {clause})"))
    if rules.repeated_after and chargebacks >= rules.repeated_after:
        out.append(Sanction("suspend", f"suspended: {chargebacks} chargebacks (clause {clause})"))
    return out


def on_chargeback(
    ctx: Context, payment: Payment, dispute_id: str, at: datetime, link_clause: str | None,
    reason: str = "",
) -> dict[Detail, str]:  # fmt: skip
    """The account sanctions of a chargeback just posted; the receipt's details."""
    rules = case_rules(ctx.policy(at))
    customer = payment.customer_id
    if rules.chargeback_clause is None:  # no cases section: the ledger's link decides
        why = reason or f"chargeback (clause {link_clause})"
        found = [Sanction("hold", why)] if link_clause else []
        return _place(ctx, payment, dispute_id, at, found)
    cases = ctx.repos.cases.of_customer(customer)
    prior = [x for x in cases if x.received_at <= at and x.reason != "chargeback_pattern"]
    count = ctx.repos.cases.chargebacks_of(customer)
    found = sanctions(rules, bool(prior), count)
    if reason:  # the command's own words, as the ledger's hold kept them
        found = [Sanction(s.kind, reason) for s in found]
    details = _place(ctx, payment, dispute_id, at, found)
    data = {"dispute_id": dispute_id, "payment_id": payment.payment_id,
            "chargebacks": str(count), "prior_case": prior[-1].case_id if prior else "",
            "holds": details.get(Detail.hold_id, "")}  # fmt: skip
    related = _related(cases, payment.payment_id)
    if related is not None:
        case = ctx.repos.cases.lock(related.case_id) or related
        finish(ctx, step(ctx, case, EventKind.chargeback, "system", at, data))
    if rules.chargeback is ChargebackAction.review_on_pattern and count >= rules.pattern_of:
        _review(ctx, customer, dispute_id, at, rules, data)
    return details


def _place(
    ctx: Context, payment: Payment, dispute_id: str, at: datetime, found: list[Sanction]
) -> dict[Detail, str]:
    ids: list[str] = []
    for s in found:
        # the first sanction keeps the ledger's hold id (hold-<dispute>); a second one (Kero's
        # suspension on a repeated chargeback) is suspend-<dispute>
        hold_id = derived_id(_KINDS[len(ids)], dispute_id)
        ctx.repos.holds.add(Hold(hold_id, payment.customer_id, s.reason, payment.payment_id,
                                 dispute_id, at))  # fmt: skip
        ids.append(hold_id)
    details = {Detail.payment_id: payment.payment_id, Detail.hold: str(bool(ids)).lower()}
    if ids:
        details[Detail.hold_id] = ",".join(ids)
    return details


def _related(cases: list[Case], payment_id: str) -> Case | None:
    about = [x for x in cases if payment_id in (x.payment_id, x.subject_id)]
    return about[-1] if about else None


def _review(
    ctx: Context, customer: str, dispute_id: str, at: datetime, rules: CaseRules,
    data: dict[str, str],
) -> None:  # fmt: skip
    """Open (or add to) the customer's formal account review."""
    review = Case(ctx.tenant_id, derived_id("review", dispute_id), customer, Subject.account,
                  customer, "chargeback_pattern", CaseState.received, at, "system",
                  rules.policy_version)  # fmt: skip
    open_id = ctx.repos.cases.open_with(review.open_key)
    if open_id is not None:
        existing = ctx.repos.cases.lock(open_id)
        assert existing is not None  # open_with found it
        finish(ctx, step(ctx, existing, EventKind.chargeback, "system", at, data))
        return
    review = on_state_change(review, CaseState.received, at, rules.clocks)
    ctx.repos.cases.add(review)
    why = f"a pattern of chargebacks (clause {rules.chargeback_clause})"
    review = step(ctx, review, EventKind.opened, "system", at, {**data, "why": why}, rules)
    finish(ctx, step(ctx, review, EventKind.review_started, "system", at, data, rules))


def _return_chargeback(ctx: Context, entry: JournalEntry, back: JournalEntry, at: datetime) -> None:
    """Lower the payment's charged-back counter by what the won dispute gave back."""
    payment = ctx.repos.payments.lock(entry.meta.get("payment_id", ""))
    if payment is None:  # a chargeback entry always names its payment
        raise not_found("payment", entry.meta.get("payment_id", ""))
    minor = -sum(line.amount for line in entry.lines if line.amount < 0)
    dispute = entry.ref or back.entry_id
    ctx.repos.payments.add_return("chargeback", derived_id("won", dispute), payment, -minor,
                                  back.entry_id, at, f"dispute {dispute} won")  # fmt: skip
    ctx.repos.payments.save(replace(payment, charged_back_minor=payment.charged_back_minor - minor))


def resolve_dispute(cmd: c.ResolveDispute, ctx: Context) -> Done:
    """The dispute ended. Won: every sanction it caused is lifted, its account review is
    withdrawn and the chargeback is reversed. Lost or withdrawn: a hold "until resolved" is
    released; a suspension stays (the policy's sanction for the chargeback itself)."""
    entry = ctx.repos.cases.entry_by_ref("chargeback", cmd.dispute_id)
    if entry is None:
        raise not_found("dispute", cmd.dispute_id)
    won = cmd.resolution is HoldResolution.won
    released: list[str] = []
    # Lost or withdrawn lifts only a hold "until resolved" (Kero's first sanction); a
    # suspension (Conek 9.2, Kero's repeated chargebacks) stays; a policy without the
    # section keeps the ledger's hold semantics: resolved, released.
    rules = case_rules(ctx.policy(cmd.at))
    until_resolved = rules.chargeback in (ChargebackAction.hold_until_resolved,
                                          ChargebackAction.none)  # fmt: skip
    lifted = _KINDS if won else _KINDS[:1] if until_resolved else ()
    for kind in lifted:
        hold = ctx.repos.holds.lock(derived_id(kind, cmd.dispute_id))
        if hold is not None and hold.released_at is None:
            ctx.repos.holds.release(hold.hold_id, cmd.resolution.value, cmd.reason, cmd.at)
            released.append(hold.hold_id)
    entries = []
    if won:
        ctx.repos.journal.lock_balances({line.account for line in entry.lines})
        back = reverse(entry, ctx.entry_id(), cmd.at, f"dispute {cmd.dispute_id} won",
                       ctx.repos.journal.is_reversed(entry.entry_id))  # fmt: skip
        ctx.post([back])
        entries.append(back.entry_id)
        _return_chargeback(ctx, entry, back, cmd.at)
        review = ctx.repos.cases.lock(derived_id("review", cmd.dispute_id))
        if review is not None and review.is_open:
            finish(ctx, step(ctx, review, EventKind.withdrawn, cmd.actor, cmd.at,
                             {"reason": f"dispute {cmd.dispute_id} won"}))  # fmt: skip
    customer = entry.lines[0].account.owner or ""
    data = {"dispute_id": cmd.dispute_id, "resolution": cmd.resolution.value,
            "released": ",".join(released)}  # fmt: skip
    related = _related(ctx.repos.cases.of_customer(customer), entry.meta.get("payment_id", ""))
    if related is not None:
        case = ctx.repos.cases.lock(related.case_id) or related
        finish(ctx, step(ctx, case, EventKind.dispute_resolved, cmd.actor, cmd.at, data))
    details = {Detail.resolution: cmd.resolution.value, Detail.hold_id: ",".join(released)}
    return Done(tuple(entries), cmd.dispute_id, details)
