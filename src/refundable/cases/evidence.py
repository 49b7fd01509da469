"""The evidence packet a card network asks for in a dispute, built from what the case knows.

Field names are Stripe's dispute evidence fields (``refund_policy``,
``refund_policy_disclosure``, ``refund_refusal_explanation``, ``cancellation_policy``,
``cancellation_rebuttal``, ``customer_communication``, ``customer_email_address``,
``service_date``, ``uncategorized_text``), so the packet can be sent as it is. Each value is
text taken from records: the policy version and clauses in force at the case's receipt and
when the customer was told, the stored decision and its explanation, the notices sent, the
service dates of the charge, and the case's history with who and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from refundable.cases.model import Case, CaseEvent

_CANCELLATION = {"cancellation", "cooling_off", "project_cancellation", "downgrade"}


@dataclass(frozen=True, slots=True)
class PolicyShown:
    policy_id: str
    version: str
    effective_from: date
    clause_titles: Mapping[str, str]


def _clauses(policy: PolicyShown, clauses: Iterable[str]) -> str:
    return "; ".join(f"clause {c} ({policy.clause_titles.get(c, '')})" for c in clauses)


def packet(
    case: Case,
    events: Iterable[CaseEvent],
    decision: Mapping[str, Any] | None,
    policy: PolicyShown,
    notices: Iterable[tuple[datetime, str, str]],  # (sent at, to, subject)
) -> dict[str, str]:
    history = list(events)
    clauses = list(decision["clauses"]) if decision else []
    policy_text = (f"{policy.policy_id} policy, version {policy.version}, in force from "
                   f"{policy.effective_from.isoformat()}: {_clauses(policy, clauses)}")  # fmt: skip
    sent = [f"{at.isoformat()} to {to}: {subject}" for at, to, subject in notices]
    out = {
        "refund_policy": policy_text,
        "refund_policy_disclosure": (
            f"The request of {case.received_at.isoformat()} was handled under version "
            f"{policy.version} (in force from {policy.effective_from.isoformat()}); the "
            f"receipt notice and the decision notice named it and its clauses."
        ),
        "customer_communication": "\n".join(sent),
        "uncategorized_text": "\n".join(
            f"{e.at.isoformat()} {e.kind.value} by {e.actor} ({e.from_state.value} -> "
            f"{e.to_state.value})" for e in history
        ),
    }  # fmt: skip
    email = case.information.get("email", "").strip()
    if email:
        out["customer_email_address"] = email
    if decision is not None:
        why = f"{decision['explanation']} (decision {decision.get('outcome')}, rule " \
              f"{decision.get('rule')})"  # fmt: skip
        if decision.get("outcome") == "deny":
            out["refund_refusal_explanation"] = why
        else:
            out["uncategorized_text"] = why + "\n" + out["uncategorized_text"]
    if case.reason in _CANCELLATION:
        out["cancellation_policy"] = policy_text
        out["cancellation_rebuttal"] = out.get("refund_refusal_explanation", policy_text)
    out["service_date"] = _service_date(case)
    return out


def _service_date(case: Case) -> str:
    charge = case.facts.get("charge") if isinstance(case.facts.get("charge"), dict) else None
    period = charge.get("period") if charge else None
    if isinstance(period, dict) and "start" in period:
        return f"{period['start']} to {period.get('end', '')}"
    return case.received_at.date().isoformat()
