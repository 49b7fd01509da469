"""The facts a case is decided on, built from the store, never retyped by the caller.

The charge or payment a case is about is read from the ledger (id, amount, currency, when,
how it was paid) and checked to belong to the customer. What the store cannot know (what the
charge was for, its period, an incident, the share of the service used) comes with the case
as ``facts``; a fact the store holds may be repeated only with the stored value. The merged
request is validated by the same model as every other request, so a bad fact is reported
with its field and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from refundable.cases.model import Case, Subject
from refundable.core.errors import InputError, NotFound
from refundable.ledger.accounts import Kind, to_units
from refundable.policy.facts import Request
from refundable.service.ports import Repositories


class FactsMissing(Exception):
    """Facts the decision needs that neither the store nor the case has: asked for, never
    assumed (the case waits for them like any other missing information)."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


_OWN = frozenset({"policy", "requested_at", "reason", "decided_at"})


def _conflict(field: str, given: object, stored: object) -> InputError:
    return InputError(
        f"{field} is {stored!s} in the store; it cannot be given as {given!s}",
        where=f"facts.{field}",
        allowed="leave it out: the stored value is used",
    )


def stored_charge(repos: Repositories, case: Case, payment_id: str | None) -> dict[str, Any]:
    """The ``charge`` facts of the case's subject (empty for the account or a usage event).

    Every record the case names (its subject, the payment money goes back to) must be the
    case customer's own: a record of another customer gets the answer an unknown id gets,
    so a case never tells who owns what (ADR 0086)."""
    out: dict[str, Any] = {}
    if case.subject is Subject.charge:
        out = _charge_of(repos, case)
    elif case.subject is Subject.usage_event:
        event = repos.usage.get(case.subject_id)
        if event is None or event.customer_id != case.customer_id:
            raise _not_theirs("usage event", case.subject_id, case.customer_id, "subject_id")
    named = [case.subject_id] if case.subject is Subject.payment else []
    for pid in dict.fromkeys([*named, *([payment_id] if payment_id is not None else [])]):
        p = repos.payments.lock(pid)
        if p is None or p.customer_id != case.customer_id:
            raise _not_theirs("payment", pid, case.customer_id, "payment_id")
        if case.subject is Subject.payment and not out:
            out = {"id": pid, "amount": str(p.money(p.amount_minor).amount),
                   "currency": p.currency, "charged_at": p.paid_at.isoformat()}  # fmt: skip
        if case.subject in (Subject.charge, Subject.payment):
            out.setdefault("payment_method", p.method.value)
    return out


def check_account(case: Case) -> None:
    """An account case is about the customer's own account: its ``subject_id`` is the
    customer id (ADR 0086). Checked at intake only, so a case stored before the rule can
    still be answered."""
    if case.subject is Subject.account and case.subject_id != case.customer_id:
        raise InputError(
            f"an account case is about the customer's own account, not {case.subject_id!r}",
            where="subject_id", allowed=f"the case customer's id, {case.customer_id!r}",
        )  # fmt: skip


def _charge_of(repos: Repositories, case: Case) -> dict[str, Any]:
    entry = repos.cases.entry_by_ref("charge", case.subject_id)
    line = None if entry is None else next(
        x for x in entry.lines if x.account.kind is Kind.receivable
    )  # fmt: skip
    if entry is None or line is None or line.account.owner != case.customer_id:
        raise _not_theirs("charge", case.subject_id, case.customer_id, "subject_id")
    cur = line.account.commodity
    return {"id": case.subject_id, "amount": str(to_units(line.amount, cur)), "currency": cur,
            "charged_at": entry.effective_at.isoformat()}  # fmt: skip


def _not_theirs(what: str, ident: str, customer_id: str, where: str) -> NotFound:
    """Unknown, or another customer's: the same answer, naming only the case customer."""
    return NotFound(f"no {what} {ident!r} of {customer_id}", where=where,
                    allowed=f"the id of a recorded {what} of {customer_id}")  # fmt: skip


def _merge_charge(stored: dict[str, Any], given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise InputError("facts.charge must be a mapping", where="facts.charge",
                         allowed="charge facts such as kind, billing, period")  # fmt: skip
    out = dict(stored)
    for key, value in given.items():
        if key in stored and str(value) != str(stored[key]):
            if key == "charged_at" and _same_instant(value, stored[key]):
                continue
            raise _conflict(f"charge.{key}", value, stored[key])
        out.setdefault(key, value)
    return out


def _same_instant(a: object, b: object) -> bool:
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return False


def build_request(
    policy_id: str, case: Case, charge: dict[str, Any], facts: Mapping[str, Any]
) -> Request:
    """The request the engine decides: the case's own facts, the stored charge, the rest."""
    body: dict[str, Any] = {k: v for k, v in facts.items() if k not in _OWN}
    for key in sorted(_OWN & facts.keys()):
        raise InputError(f"facts.{key} is the case's own", where=f"facts.{key}",
                         allowed="leave it out: the case sets it")  # fmt: skip
    if charge or "charge" in body:
        body["charge"] = _merge_charge(charge, body.get("charge", {}))
    body.update(policy=policy_id, requested_at=case.received_at.isoformat(), reason=case.reason)
    try:
        return Request.model_validate(body)
    except ValidationError as err:
        missing = [
            ".".join(str(p) for p in e["loc"]) for e in err.errors() if e["type"] == "missing"
        ]
        if missing and len(missing) == len(err.errors()):
            raise FactsMissing(tuple(missing)) from None
        first = next(e for e in err.errors() if e["type"] != "missing")
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"fact {where}: {first['msg']}", where=f"facts.{where}",
                         allowed="see `refundable request schema`") from None  # fmt: skip
