"""The dispute evidence packet of a case, read from the store (see ``cases.evidence``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from refundable.cases.evidence import PolicyShown, packet
from refundable.core.errors import NotFound

if TYPE_CHECKING:
    from refundable.bootstrap import App


def evidence_for(app: App, tenant: str, case_id: str) -> dict[str, str]:
    """Stripe dispute evidence fields for the case: the version and clauses in force at its
    receipt, the stored decision, the notices sent (when, to whom), its service dates and
    history."""
    reads = app.cases_read
    case = None if reads is None else reads.case(tenant, case_id)
    if reads is None or case is None:
        raise NotFound(f"no case {case_id!r}", where="case_id", allowed="an existing case id")
    with app.bus.read_uow_factory() as uow:
        repos = uow.repositories(tenant)
        record = repos.decisions.get(case.decision_id) if case.decision_id else None
        policy = app.catalog.in_force(repos.tenants, tenant, case.received_at)
    shown = PolicyShown(policy.id, policy.version, policy.effective_from, policy.clause_titles)
    notices = [
        (m.created_at, m.payload["to"], m.payload["subject"])
        for m in app.work.outbox(tenant)
        if m.kind == "email" and case_id in m.payload.get("subject", "")
    ]
    decision = None if record is None else json.loads(record.body)
    return packet(case, reads.events(tenant, case_id), decision, shown, notices)
